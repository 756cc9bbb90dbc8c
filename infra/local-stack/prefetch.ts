// `npm run infra:fetch`: download the broker's jars and the registry into ~/.m2 and the cache,
// without starting anything, and compile the exactly-once verifier against that classpath. CI runs
// it first so download (and javac) time is visible on its own.
import { compileVerifier } from '../verifier/verifier.js';
import { kafkaClasspath, registryAppDir } from './maven.js';
import { APICURIO_VERSION, KAFKA_VERSION } from './versions.js';

const started = Date.now();
const [classpath, registryDir] = await Promise.all([kafkaClasspath(), registryAppDir()]);
console.log(`Kafka ${KAFKA_VERSION}: ${classpath.split(':').length} jars on the classpath`);
console.log(`Apicurio Registry ${APICURIO_VERSION}: ${registryDir}`);
// After the classpath: javac needs kafka-clients from it.
const verifier = await compileVerifier();
console.log(
  `exactly-once verifier: ${verifier.compiled ? 'compiled' : 'up to date'} (${verifier.classpath.split(':')[0]})`,
);
console.log(`fetched in ${((Date.now() - started) / 1000).toFixed(1)}s`);

// `npm run infra:fetch`: download the broker's jars and the registry into ~/.m2 and the cache,
// without starting anything. CI runs it first so download time is visible on its own.
import { kafkaClasspath, registryAppDir } from './maven.js';
import { APICURIO_VERSION, KAFKA_VERSION } from './versions.js';

const started = Date.now();
const [classpath, registryDir] = await Promise.all([kafkaClasspath(), registryAppDir()]);
console.log(`Kafka ${KAFKA_VERSION}: ${classpath.split(':').length} jars on the classpath`);
console.log(`Apicurio Registry ${APICURIO_VERSION}: ${registryDir}`);
console.log(`fetched in ${((Date.now() - started) / 1000).toFixed(1)}s`);

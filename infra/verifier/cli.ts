// By hand: `npx tsx infra/verifier/cli.ts --brokers 127.0.0.1:9092 --topic neuronx.contact …`
// compiles the verifier (infra/verifier/*.java) if needed and runs it with these arguments (see
// the header of Verifier.java); the JSON report goes to stdout, the exit code is the verifier's.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../services/common/src/project-root.js';
import { compileVerifier } from './verifier.js';

const { java, classpath } = await compileVerifier();
const child = spawn(
  java,
  [
    '-XX:+UseSerialGC',
    `-Dlog4j2.configurationFile=${join(projectRoot(), 'infra', 'verifier', 'log4j2.properties')}`,
    '-cp',
    classpath,
    'Verifier',
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit' },
);
child.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

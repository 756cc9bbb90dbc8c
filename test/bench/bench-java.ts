// The benches' Java programs (test/bench/java: Apache Kafka's own Java client), compiled once into
// the stack cache, and the command lines that run them.
import { join } from 'node:path';
import { projectRoot } from '../../services/common/src/project-root.js';
import { compileJavaProgram } from '../../infra/local-stack/java-program.js';

/** A main class of test/bench/java. */
export type BenchJavaMain = 'TransactionFloor' | 'EosCopy';

/**
 * The `java` binary and its arguments that run `main` with `args`: serial GC, Kafka's client
 * logging at WARN (the verifier's log4j2 configuration). Compiles test/bench/java on first use
 * (`compileJavaProgram`, its errors).
 */
export async function benchJavaCommand(
  main: BenchJavaMain,
  args: string[],
): Promise<{ java: string; args: string[] }> {
  const { java, classpath } = await compileJavaProgram({
    name: 'bench-java',
    dir: join(projectRoot(), 'test', 'bench', 'java'),
    mainClass: main,
    javaHomeVar: 'VERIFIER_JAVA_HOME',
  });
  const log4j = join(projectRoot(), 'infra', 'verifier', 'log4j2.properties');
  return {
    java,
    args: [
      '-XX:+UseSerialGC',
      `-Dlog4j2.configurationFile=${log4j}`,
      '-cp',
      classpath,
      main,
      ...args,
    ],
  };
}

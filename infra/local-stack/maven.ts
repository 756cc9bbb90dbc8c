import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir, kafkaInfraDir } from './paths.js';
import {
  APICURIO_ARTIFACT,
  APICURIO_VERSION,
  KAFKA_VERSION,
  MAVEN_DEPENDENCY_PLUGIN,
} from './versions.js';

const run = promisify(execFile);

async function mvn(args: string[]): Promise<void> {
  try {
    await run('mvn', ['-B', '-q', ...args], { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as { code?: string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT')
      throw new Error(
        'Maven (mvn) is not on PATH; install Maven 3.8+ to fetch Kafka and the registry',
      );
    throw new Error(`mvn ${args.join(' ')} failed:\n${(e.stdout ?? '') + (e.stderr ?? '')}`.trim());
  }
}

/**
 * The broker's classpath (jars in ~/.m2), resolved by Maven once and cached in a file, so a
 * second start touches neither Maven nor the network.
 */
export async function kafkaClasspath(): Promise<string> {
  const file = join(cacheDir(), `kafka-${KAFKA_VERSION}.classpath`);
  if (existsSync(file)) {
    const classpath = readFileSync(file, 'utf8').trim();
    if (classpath.split(':').every((jar) => existsSync(jar))) return classpath;
  }
  mkdirSync(cacheDir(), { recursive: true });
  await mvn([
    '-f',
    join(kafkaInfraDir(), 'pom.xml'),
    `${MAVEN_DEPENDENCY_PLUGIN}:build-classpath`,
    '-Dmdep.includeScope=runtime',
    `-Dmdep.outputFile=${file}`,
  ]);
  return readFileSync(file, 'utf8').trim();
}

/** Apicurio's Quarkus app, fetched into ~/.m2 and unpacked once; returns the dir holding quarkus-run.jar. */
export async function registryAppDir(): Promise<string> {
  const dir = join(cacheDir(), `apicurio-registry-${APICURIO_VERSION}`);
  if (existsSync(join(dir, 'quarkus-run.jar'))) return dir;
  // Maven resolves the archive into its local repository (wherever settings put it) and copies
  // it here; the copy is removed once unpacked.
  const archive = join(cacheDir(), `apicurio-registry-app-${APICURIO_VERSION}-all.tar.gz`);
  mkdirSync(cacheDir(), { recursive: true });
  await mvn([
    `${MAVEN_DEPENDENCY_PLUGIN}:copy`,
    `-Dartifact=${APICURIO_ARTIFACT}`,
    `-DoutputDirectory=${cacheDir()}`,
    '-Dmdep.overWriteIfNewer=true',
  ]);
  // Unpack beside the target and rename, so an interrupted unpack never looks complete.
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  await run('tar', ['-xzf', archive, '-C', partial]);
  const root = existsSync(join(partial, 'quarkus-run.jar'))
    ? partial
    : join(
        partial,
        readdirSync(partial).find((d) => existsSync(join(partial, d, 'quarkus-run.jar'))) ?? '',
      );
  if (!existsSync(join(root, 'quarkus-run.jar')))
    throw new Error(`${archive} holds no quarkus-run.jar`);
  if (!existsSync(dir)) renameSync(root, dir);
  rmSync(partial, { recursive: true, force: true });
  rmSync(archive, { force: true });
  return dir;
}

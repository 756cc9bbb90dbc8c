// Small Java programs on Apache Kafka's own client (the exactly-once verifier; the benches'
// transaction floor and exactly-once copy in test/bench/java): compiled once against the broker's
// Maven classpath into the git-ignored stack cache, keyed by their sources, so they cost nothing
// when unchanged.
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { findJava } from './java.js';
import { kafkaClasspath } from './maven.js';
import { cacheDir } from './paths.js';
import { KAFKA_MIN_JAVA } from './versions.js';

const run = promisify(execFile);

/** One Java program: every `.java` file of `dir`, compiled together. */
export interface JavaProgram {
  /** Names the cache directory (`.stack/cache/<name>/`) and prefixes this module's errors. */
  name: string;
  /** Absolute path of the directory holding the program's `.java` sources. */
  dir: string;
  /** The class to run; its `.class` file marks a finished compile. */
  mainClass: string;
  /** Environment variable that names the JDK to use before JAVA_HOME (see `findJava`). */
  javaHomeVar: string;
}

export interface CompiledJavaProgram {
  /** The `java` binary of the JDK that compiled it. */
  java: string;
  /** Class directory plus the Kafka classpath (kafka-clients and its dependencies). */
  classpath: string;
  /** True when this call ran javac (false: the cached classes were current). */
  compiled: boolean;
}

/** The program's Java sources: every `.java` file in its directory, sorted. */
export const javaSources = (p: JavaProgram) =>
  readdirSync(p.dir)
    .filter((name) => name.endsWith('.java'))
    .sort()
    .map((name) => join(p.dir, name));

const programCacheDir = (p: JavaProgram) => join(cacheDir(), p.name);
const compiling = new Map<string, Promise<CompiledJavaProgram>>();

/**
 * Compiles `p`'s sources (`javaSources`, together in one javac run) with the JDK found by
 * `findJava` (`p.javaHomeVar`, JAVA_HOME, the `java` on PATH, /usr/lib/jvm/*; 17+) against the
 * broker's Maven classpath, once per sources and classpath: the classes go to
 * `.stack/cache/<name>/<hash>/`, the hash covering every source file's name and content, so an
 * edited, added or removed source (or another Kafka version) compiles afresh and unchanged ones
 * cost nothing. Memoised per process and program name.
 * Throws with the cause spelled out when no JDK (or only a JRE, without javac) is found, when
 * Maven cannot resolve the classpath, or when javac fails (its output included).
 */
export function compileJavaProgram(p: JavaProgram): Promise<CompiledJavaProgram> {
  const key = `${p.name}\0${p.dir}\0${p.mainClass}`;
  let pending = compiling.get(key);
  if (!pending) {
    pending = compile(p).catch((err: unknown) => {
      compiling.delete(key);
      throw err;
    });
    compiling.set(key, pending);
  }
  return pending;
}

async function compile(p: JavaProgram): Promise<CompiledJavaProgram> {
  let java: string;
  try {
    java = findJava(KAFKA_MIN_JAVA, p.javaHomeVar);
  } catch (err) {
    throw new Error(`${p.name}: ${(err as Error).message}`);
  }
  const javac = join(dirname(java), 'javac');
  const kafka = await kafkaClasspath();
  const sources = javaSources(p);
  const digest = createHash('sha256').update(`--release ${KAFKA_MIN_JAVA}\0`);
  for (const file of sources)
    digest.update(basename(file)).update('\0').update(readFileSync(file)).update('\0');
  const hash = digest.update(kafka).digest('hex').slice(0, 16);
  const classes = join(programCacheDir(p), hash);
  const marker = join(classes, `${p.mainClass}.class`);
  const classpath = `${classes}:${kafka}`;
  if (existsSync(marker)) {
    // In use now: pruneStale, in another process compiling other sources, keeps it an hour.
    touch(classes);
    return { java, classpath, compiled: false };
  }
  if (!existsSync(javac))
    throw new Error(
      `${p.name}: ${java} has no javac beside it (a JRE, not a JDK); set ${p.javaHomeVar} to a JDK ${KAFKA_MIN_JAVA}+`,
    );
  // Compile beside the target and rename, so a concurrent run (vitest workers) never sees a
  // half-written class directory; whoever renames first wins, the other copy is dropped.
  const partial = join(programCacheDir(p), `.partial-${process.pid}-${randomUUID().slice(0, 8)}`);
  mkdirSync(partial, { recursive: true });
  try {
    await run(
      javac,
      [
        '--release',
        String(KAFKA_MIN_JAVA),
        '-encoding',
        'UTF-8',
        '-nowarn',
        '-cp',
        kafka,
        '-d',
        partial,
        ...sources,
      ],
      { maxBuffer: 4 * 1024 * 1024 },
    );
    if (!existsSync(classes)) renameSync(partial, classes);
    pruneStale(p, hash);
  } catch (err) {
    const e = err as { code?: string | number; stdout?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') throw new Error(`${p.name}: cannot run ${javac}`);
    if (existsSync(marker)) return { java, classpath, compiled: true };
    throw new Error(
      `${p.name}: javac failed on ${sources.join(' ')}:\n${(e.stdout ?? '') + (e.stderr ?? e.message)}`.trim(),
    );
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  return { java, classpath, compiled: true };
}

function touch(dir: string): void {
  try {
    const now = new Date();
    utimesSync(dir, now, now);
  } catch {
    // Removed meanwhile: the next compile recreates it.
  }
}

/**
 * Removes class directories of earlier sources. Only ones untouched for an hour (every cache hit
 * touches its directory): a run that started with an older checkout may still be loading from it.
 */
function pruneStale(p: JavaProgram, current: string): void {
  for (const name of readdirSync(programCacheDir(p))) {
    const dir = join(programCacheDir(p), name);
    try {
      if (name !== current && Date.now() - statSync(dir).mtimeMs > 3_600_000)
        rmSync(dir, { recursive: true, force: true });
    } catch {
      // Another process removed it first.
    }
  }
}

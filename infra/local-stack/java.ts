import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Finds a JDK whose major version is at least `min`, preferring the most specific setting. */
export function findJava(min: number, overrideVar: string): string {
  const candidates: string[] = [];
  const add = (home: string | undefined) => {
    if (home && !candidates.includes(home)) candidates.push(home);
  };
  add(process.env[overrideVar]);
  add(process.env.JAVA_HOME);
  add(homeOfJavaOnPath());
  for (const root of ['/usr/lib/jvm', '/opt/java', '/usr/local/lib/jvm']) {
    if (!existsSync(root)) continue;
    for (const name of readdirSync(root).sort().reverse()) add(join(root, name));
  }
  const seen: string[] = [];
  for (const home of candidates) {
    const bin = join(home, 'bin', 'java');
    if (!existsSync(bin)) continue;
    const major = javaMajor(home, bin);
    seen.push(`${home} (${major ?? '?'})`);
    if (major !== undefined && major >= min) return bin;
  }
  throw new Error(
    `no Java ${min}+ found (looked at: ${seen.join(', ') || 'nothing'}); set ${overrideVar} or JAVA_HOME to a JDK ${min}+`,
  );
}

function homeOfJavaOnPath(): string | undefined {
  try {
    const onPath = execFileSync('sh', ['-c', 'command -v java'], { encoding: 'utf8' }).trim();
    return onPath ? dirname(dirname(realpathSync(onPath))) : undefined;
  } catch {
    return undefined;
  }
}

function javaMajor(home: string, bin: string): number | undefined {
  const release = join(home, 'release');
  const text = existsSync(release)
    ? readFileSync(release, 'utf8')
    : execFileSync(bin, ['-version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const match = /version[ =]"(\d+)(?:\.(\d+))?/i.exec(text) ?? /JAVA_VERSION="(\d+)/.exec(text);
  if (!match?.[1]) return undefined;
  // Java 8 and older report "1.8"; everything the stack can use reports its major first.
  return match[1] === '1' ? Number(match[2]) : Number(match[1]);
}

// The helm version of each probed binary, on disk: Nx hashes the helm version into every render target on every run
// (plugin/helm-version-env.ts), and a `helm version` per run costs more than the rest of a cache hit's hashing.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** Where the versions of probed helm binaries are kept: one `<identity>\t<version>` line each (see binaryIdentity). */
const versionCacheFile = (): string => path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'homelab', 'helm-versions.tsv');

/**
 * A helm binary file as `<absolute path>:<device>:<inode>:<size>:<mtime seconds.nanoseconds>`: a replaced or upgraded
 * helm has another identity.
 */
function binaryIdentity(bin: string): string {
  const stat = statSync(bin, { bigint: true });
  const seconds = stat.mtimeNs / 1_000_000_000n;
  const nanoseconds = String(stat.mtimeNs % 1_000_000_000n).padStart(9, '0');
  return [path.resolve(bin), stat.dev, stat.ino, stat.size, `${seconds}.${nanoseconds}`].join(':');
}

/**
 * `helm version` costs a process start in every hack script and Nx task, for an answer that only changes with the
 * binary: it is remembered in ~/.cache/homelab (XDG_CACHE_HOME) per binary file (binaryIdentity), so a replaced or
 * upgraded helm is probed again.
 */
export function versionCache(bin: string): { read(): string | undefined; write(version: string): void } {
  const file = versionCacheFile();
  let key: string | undefined;
  let known = new Map<string, string>();
  try {
    key = binaryIdentity(bin);
    // A path holding a tab or a line break cannot be one line of the file: such a helm is probed every time.
    if (/[\t\n\r]/.test(key)) key = undefined;
    known = new Map(
      readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split('\t') as [string, string]),
    );
  } catch {
    // no cache yet, or an unreadable one: probe
  }
  return {
    read: () => (key ? known.get(key) : undefined),
    write(version) {
      if (!key || known.get(key) === version || /[\t\n\r]/.test(version)) return;
      try {
        mkdirSync(path.dirname(file), { recursive: true });
        const temp = `${file}.${process.pid}.tmp`;
        // The most recent binaries only: test suites create throwaway ones.
        const entries = [...known].filter(([k]) => k !== key).slice(-15);
        writeFileSync(temp, [...entries, [key, version]].map(([k, v]) => `${k}\t${v}\n`).join(''));
        renameSync(temp, file);
      } catch {
        // read-only home: probe every time
      }
    },
  };
}

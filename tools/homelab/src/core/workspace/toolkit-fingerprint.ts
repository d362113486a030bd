import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const coreDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The toolkit's own code takes part in the keys of what it caches (resolutions, renders). Built (dist/src/core/…, .js):
 * the hash of everything the build emitted (dist/build-id.json). From the sources: every non-test module of the core,
 * by size and modification time (reading them all on every call would cost more than it protects against).
 */
export function toolkitFingerprint(): string {
  // Once per process: the code running is what was loaded, whatever is edited on disk meanwhile.
  fingerprint ??= import.meta.url.endsWith('.js') ? readFileSync(path.join(coreDir, '..', '..', 'build-id.json'), 'utf8') : sourceFingerprint();
  return fingerprint;
}

let fingerprint: string | undefined;

function sourceFingerprint(): string {
  const hash = createHash('sha256');
  for (const rel of (readdirSync(coreDir, { recursive: true }) as string[]).sort()) {
    if (!rel.endsWith('.ts') || rel.endsWith('.test.ts')) continue;
    const stat = statSync(path.join(coreDir, rel));
    hash.update(`${rel}\0${stat.size}\0${stat.mtimeMs}\0`);
  }
  return hash.digest('hex');
}

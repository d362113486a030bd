/**
 * Renders kept across runs, keyed by the digest of everything they read (render-inputs.ts): the base of a pull request
 * is rendered once, not on every push to it, and `render-diff` after `affected --exact` renders nothing twice. Only
 * keyless renders are stored (secret values are placeholders), masked like everything printed: no secret value can
 * be in the store. The masker's key is kept beside them, so a stored render's Secret markers match a fresh one's.
 * Lives in `$XDG_CACHE_HOME/homelab/renders` (else `~/.cache/homelab/renders`); one file per render, written atomically.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { userCacheDir } from '../helm/chart-cache.ts';

export interface RenderCache {
  /** The masker key every render compared with stored ones must use. */
  maskKey: Buffer;
  /** A stored masked, keyless render, or undefined. */
  get(digest: string): Promise<string | undefined>;
  put(digest: string, masked: string): Promise<void>;
}

export function openRenderCache(env: NodeJS.ProcessEnv = process.env): RenderCache {
  const dir = path.join(userCacheDir(env), 'renders');
  const maskKey = storedMaskKey(dir);
  // Without a key on disk nothing stored could be compared: the run works uncached with a key of its own.
  if (!maskKey) return { maskKey: randomBytes(32), get: async () => undefined, put: async () => undefined };
  const file = (digest: string) => path.join(dir, digest.slice(0, 2), `${digest}.yaml`);
  return {
    maskKey,
    get: (digest) => readFile(file(digest), 'utf8').catch(() => undefined),
    async put(digest, masked) {
      const target = file(digest);
      const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        mkdirSync(path.dirname(target), { recursive: true });
        await writeFile(temp, masked, { mode: 0o600 });
        await rename(temp, target);
      } catch {
        rmSync(temp, { force: true });
        // A store that cannot be written only costs the next run a render.
      }
    },
  };
}

/** The store's masker key: made once (linked into place whole, so concurrent first runs agree on one), then read. */
function storedMaskKey(dir: string): Buffer | undefined {
  const file = path.join(dir, 'mask.key');
  const existing = readKey(file);
  if (existing) return existing;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, randomBytes(32), { mode: 0o600 });
    try {
      linkSync(temp, file);
    } catch {
      // Another run made it first: theirs is the key.
    } finally {
      rmSync(temp, { force: true });
    }
    return readKey(file);
  } catch {
    return undefined;
  }
}

function readKey(file: string): Buffer | undefined {
  try {
    const key = readFileSync(file);
    return key.length === 32 ? key : undefined;
  } catch {
    return undefined;
  }
}

/** Atomic replacement of a file: write a sibling temp file, then rename over the original. */
import { randomBytes } from 'node:crypto';
import { rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteHooks {
  /** Test seam: runs after the temp file is written, before the rename. */
  beforeRename?: (tempPath: string) => void | Promise<void>;
}

/**
 * Replace `path` with `data` so readers see the old or the new file, never a partial one. Callers pass
 * only *encrypted* content: the temp file sits next to the secret file.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, hooks: AtomicWriteHooks = {}): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let mode = 0o644;
  try {
    mode = (await stat(path)).mode & 0o777;
  } catch {
    // new file
  }
  try {
    await writeFile(temp, data, { mode, flag: 'wx' });
    await hooks.beforeRename?.(temp);
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}

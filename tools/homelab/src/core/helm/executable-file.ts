import { access, chmod, constants, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

let writes = 0;

/**
 * Writes a binary as an executable at `target`. Parallel first runs race here, in other processes and in this one
 * (two renders extracting the same bundle): each writes its own temp file and the rename is atomic.
 */
export async function writeExecutable(target: string, binary: Uint8Array): Promise<string> {
  await mkdir(path.dirname(target), { recursive: true });
  const temp = `${target}.${process.pid}.${++writes}.tmp`;
  await writeFile(temp, binary);
  await chmod(temp, 0o755);
  await rename(temp, target);
  return target;
}

export async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Writes `data` to `file` whole or not at all: a temp file beside it, renamed into place. Processes (and renders in
 * one process) writing the same file at once each use their own temp file; readers never see half of one.
 */
export function writeFileAtomically(file: string, data: string | Uint8Array): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, data);
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/** The same for a cache entry: one that cannot be written (a read-only checkout, a full disk) only costs the next run its work. */
export function writeCacheEntry(file: string, data: string | Uint8Array): void {
  try {
    writeFileAtomically(file, data);
  } catch {
    // Nothing to do: the entry is simply absent.
  }
}

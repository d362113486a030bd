import { statSync } from 'node:fs';
import path from 'node:path';

/** Workspace-relative path → its stat as `inode:size:mtime:ctime` (times in ms, sub-µs fraction; '' when it does not exist). */
export type Stamps = [string, string][];

const MISSING = '';

/**
 * Coarse file-system clocks (FAT keeps 2 s) can give a file modified twice within one tick the same time: a stat
 * newer than the work it stands for, minus this margin, proves nothing.
 */
const CLOCK_MARGIN_MS = 2000;

// Numbers, not bigints: a third cheaper over thousands of files; a double keeps today's times to a fraction of a µs.
function stampOf(root: string, rel: string): { stamp: string; mtimeMs?: number } {
  const stat = statSync(`${root}/${rel}`, { throwIfNoEntry: false });
  if (!stat) return { stamp: MISSING };
  return { stamp: `${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`, mtimeMs: stat.mtimeMs };
}

/**
 * The stamps of `paths`, or undefined when one was modified after `since` (ms since the epoch, when the reads they
 * stand for began) less the clock margin: that file may have changed after it was read, or may change again unseen.
 */
export function inputStamps(root: string, paths: readonly string[], since: number): Stamps | undefined {
  const settled = since - CLOCK_MARGIN_MS;
  const stamped = new Set(paths);
  const stamps: Stamps = [];
  for (const rel of paths) {
    const { stamp, mtimeMs } = stampOf(root, rel);
    if (mtimeMs !== undefined && mtimeMs >= settled) return undefined;
    // A file missing from a stamped directory is covered by it: creating the file changes the directory.
    if (stamp === MISSING && stamped.has(path.posix.dirname(rel))) continue;
    stamps.push([rel, stamp]);
  }
  return stamps;
}

/** Whether every path still has the stat it was stamped with. */
export function stampsHold(root: string, stamps: Stamps): boolean {
  return stamps.every(([rel, stamp]) => stampOf(root, rel).stamp === stamp);
}

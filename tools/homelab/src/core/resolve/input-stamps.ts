import { statSync } from 'node:fs';
import path from 'node:path';

/** Workspace-relative path → its stat as `inode:size:mtime:ctime` in nanoseconds ('' when it does not exist). */
export type Stamps = [string, string][];

const MISSING = '';

/**
 * Coarse file-system clocks (FAT keeps 2 s) can give a file modified twice within one tick the same time: a stat
 * newer than the work it stands for, minus this margin, proves nothing.
 */
const CLOCK_MARGIN_NS = 2_000_000_000n;

function stampOf(root: string, rel: string): { stamp: string; mtimeNs?: bigint } {
  const stat = statSync(`${root}/${rel}`, { bigint: true, throwIfNoEntry: false });
  if (!stat) return { stamp: MISSING };
  return { stamp: `${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`, mtimeNs: stat.mtimeNs };
}

/**
 * The stamps of `paths`, or undefined when one was modified after `since` (ms since the epoch, when the reads they
 * stand for began) less the clock margin: that file may have changed after it was read, or may change again unseen.
 */
export function inputStamps(root: string, paths: readonly string[], since: number): Stamps | undefined {
  const settled = BigInt(since) * 1_000_000n - CLOCK_MARGIN_NS;
  const stamped = new Set(paths);
  const stamps: Stamps = [];
  for (const rel of paths) {
    const { stamp, mtimeNs } = stampOf(root, rel);
    if (mtimeNs !== undefined && mtimeNs >= settled) return undefined;
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

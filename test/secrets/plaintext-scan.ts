// Searching files for decrypted secret values (or their base64) without ever printing one: findings name the
// file and which secret (by index), never the value.
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface Needle {
  /** Which secret, for messages: an index and the form (`#3 base64`), never the value. */
  label: string;
  bytes: Buffer;
}

/** Every decrypted value of at least `minLength` characters, as text and as base64. */
export function needlesOf(leaves: readonly string[], minLength = 6): Needle[] {
  return leaves
    .filter((leaf) => leaf.length >= minLength)
    .flatMap((leaf, i) => [
      { label: `secret #${i} (plaintext)`, bytes: Buffer.from(leaf, 'utf8') },
      { label: `secret #${i} (base64)`, bytes: Buffer.from(Buffer.from(leaf, 'utf8').toString('base64')) },
    ]);
}

export function findIn(data: Buffer | string, needles: readonly Needle[]): string[] {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return needles.filter((n) => buf.includes(n.bytes)).map((n) => n.label);
}

export interface ScanOptions {
  /** Directories not to enter (absolute). */
  skip?: readonly string[];
}

/** Walks `root` without following symlinks, skipping what cannot be read; returns `file: secret` findings. */
export function scanTree(root: string, needles: readonly Needle[], options: ScanOptions = {}): string[] {
  const findings: string[] = [];
  const walk = (dir: string) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of entries) {
      const file = path.join(dir, name);
      if (options.skip?.includes(file)) continue;
      let stat;
      try {
        stat = lstatSync(file);
      } catch {
        continue;
      }
      if (stat.isDirectory()) walk(file);
      else if (stat.isFile()) {
        findings.push(...scanFile(file, needles));
      }
    }
  };
  walk(root);
  return findings;
}

export function scanFile(file: string, needles: readonly Needle[]): string[] {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    return [];
  }
  return findIn(data, needles).map((label) => `${file}: ${label}`);
}

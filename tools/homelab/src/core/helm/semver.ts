/**
 * Chart versions and ranges with the semantics of the Go library ArgoCD and Helm both use (Masterminds semver v3),
 * not npm's: `1.2` is a version (1.2.0), `1.2` as a range means `~1.2`, ranges may be joined with commas, and a
 * range without a prerelease never matches a prerelease. A `targetRevision` is resolved the way the two tools do it
 * together: a string equal to a published version is that version, anything else is a range and picks the highest
 * published version it admits.
 */

export interface Version {
  major: number;
  minor: number;
  patch: number;
  pre: string;
  /** As published (`v1.2`, `1.2.3+build`). */
  original: string;
}

const LOOSE_VERSION = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

export function parseVersion(text: string): Version | undefined {
  const m = LOOSE_VERSION.exec(text);
  if (!m) return undefined;
  // A numeric prerelease identifier with a leading zero is not semver.
  if (m[4]?.split('.').some((part) => /^0\d+$/.test(part))) return undefined;
  return { major: Number(m[1]), minor: Number(m[2] ?? 0), patch: Number(m[3] ?? 0), pre: m[4] ?? '', original: text };
}

export function compareVersions(a: Version, b: Version): number {
  const core = Math.sign(a.major - b.major) || Math.sign(a.minor - b.minor) || Math.sign(a.patch - b.patch);
  if (core !== 0) return core;
  if (a.pre === b.pre) return 0;
  if (a.pre === '') return 1;
  if (b.pre === '') return -1;
  const left = a.pre.split('.');
  const right = b.pre.split('.');
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const d = comparePreParts(left[i] ?? '', right[i] ?? '');
    if (d !== 0) return d;
  }
  return 0;
}

function comparePreParts(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return -1;
  if (b === '') return 1;
  const an = /^\d+$/.test(a);
  const bn = /^\d+$/.test(b);
  if (an && bn) return Math.sign(Number(a) - Number(b));
  if (an) return -1;
  if (bn) return 1;
  return a > b ? 1 : -1;
}

interface Comparator {
  op: string;
  version: Version;
  /** Which parts were left out or written x/X/*: `1.x` is minor-dirty, `1.2` patch-dirty. */
  minorDirty: boolean;
  patchDirty: boolean;
  dirty: boolean;
}

const OPS = '!=|>=|=>|<=|=<|~>|>|<|=|~|\\^';
const PART = '[0-9xX*]+';
const CONSTRAINT_VERSION = `v?(${PART})(\\.${PART})?(\\.${PART})?(-[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?(\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?`;
const ONE = new RegExp(`^\\s*(${OPS})?\\s*(${CONSTRAINT_VERSION})\\s*$`);
const FIND = new RegExp(`(${OPS})?\\s*(${CONSTRAINT_VERSION})`, 'g');
const VALID_GROUP = new RegExp(`^\\s*(?:${OPS})?\\s*${CONSTRAINT_VERSION}\\s*(?:(?:\\s+|,\\s*)(?:${OPS})?\\s*${CONSTRAINT_VERSION}\\s*)*$`);
const HYPHEN = new RegExp(`\\s*(${CONSTRAINT_VERSION})\\s+-\\s+(${CONSTRAINT_VERSION})\\s*`, 'g');

const isX = (part: string | undefined) => part === 'x' || part === 'X' || part === '*';

function parseComparator(text: string): Comparator | undefined {
  const m = ONE.exec(text);
  if (!m) return undefined;
  const [major, minor, patch] = [m[3], m[4]?.slice(1), m[5]?.slice(1)];
  const pre = m[6] ?? '';
  let version: string;
  let minorDirty = false;
  let patchDirty = false;
  if (isX(major)) version = `0.0.0${pre}`;
  else if (minor === undefined || isX(minor)) {
    minorDirty = true;
    version = `${major}.0.0${pre}`;
  } else if (patch === undefined || isX(patch)) {
    patchDirty = true;
    version = `${major}.${minor}.0${pre}`;
  } else version = `${major}.${minor}.${patch}${pre}`;
  const parsed = parseVersion(version);
  if (!parsed) return undefined;
  const dirty = isX(major) || minorDirty || patchDirty;
  return { op: m[1] ?? '', version: parsed, minorDirty, patchDirty, dirty };
}

/** A parsed range: OR groups of AND-ed comparators, or undefined when `text` is not a range. */
export type Range = { comparators: Comparator[]; includePre: boolean }[];

export function parseRange(text: string): Range | undefined {
  const rewritten = text.replace(HYPHEN, (_all, low: string, ...rest: string[]) => `>= ${low}, <= ${rest[5]} `);
  const groups: Range = [];
  for (const group of rewritten.split('||')) {
    if (group.trim() === '') {
      groups.push({ comparators: [anyVersion()], includePre: false });
      continue;
    }
    if (!VALID_GROUP.test(group)) return undefined;
    const comparators: Comparator[] = [];
    for (const found of group.matchAll(FIND)) {
      const comparator = parseComparator(found[0]);
      if (!comparator) return undefined;
      comparators.push(comparator);
    }
    groups.push({ comparators, includePre: comparators.some((c) => c.version.pre !== '') });
  }
  return groups;
}

function anyVersion(): Comparator {
  return { op: '', version: parseVersion('0.0.0')!, minorDirty: false, patchDirty: false, dirty: true };
}

export function satisfies(version: Version, range: Range): boolean {
  return range.some((group) => (version.pre === '' || group.includePre) && group.comparators.every((c) => check(version, c)));
}

function check(v: Version, c: Comparator): boolean {
  const con = c.version;
  const cmp = compareVersions(v, con);
  switch (c.op) {
    case '':
    case '=':
      return c.dirty ? tilde(v, c) : cmp === 0;
    case '!=':
      if (!c.dirty) return cmp !== 0;
      if (con.major !== v.major) return true;
      if (c.minorDirty) return false;
      if (con.minor !== v.minor) return true;
      return false;
    case '>':
      if (!c.dirty) return cmp > 0;
      if (v.major !== con.major) return v.major > con.major;
      if (c.minorDirty) return false;
      return v.minor > con.minor;
    case '<':
      return cmp < 0;
    case '>=':
    case '=>':
      return cmp >= 0;
    case '<=':
    case '=<':
      if (!c.dirty) return cmp <= 0;
      if (v.major > con.major) return false;
      return !(v.major === con.major && v.minor > con.minor && !c.minorDirty);
    case '~':
    case '~>':
      return tilde(v, c);
    default:
      return caret(v, c);
  }
}

function tilde(v: Version, c: Comparator): boolean {
  const con = c.version;
  if (compareVersions(v, con) < 0) return false;
  if (con.major === 0 && con.minor === 0 && con.patch === 0 && !c.minorDirty && !c.patchDirty) return true;
  if (v.major !== con.major) return false;
  return v.minor === con.minor || c.minorDirty;
}

function caret(v: Version, c: Comparator): boolean {
  const con = c.version;
  if (compareVersions(v, con) < 0) return false;
  if (con.major > 0 || c.minorDirty) return v.major === con.major;
  if (v.major > 0) return false;
  if (con.minor > 0 || c.patchDirty) return v.minor === con.minor;
  if (v.minor > 0) return false;
  return v.patch === con.patch;
}

/**
 * The published version a `targetRevision` selects, or undefined when none does. Helm returns an exact string
 * match first; otherwise the highest version the range admits (versions that are not semver are skipped).
 */
export function resolveRevision(revision: string, published: string[]): string | undefined {
  if (published.includes(revision)) return revision;
  const range = parseRange(revision);
  if (!range) return undefined;
  let best: Version | undefined;
  for (const text of published) {
    const version = parseVersion(text);
    if (version && satisfies(version, range) && (!best || compareVersions(version, best) > 0)) best = version;
  }
  return best?.original;
}

/**
 * Path globs in the three dialects the resolver meets. Patterns are workspace-relative with POSIX
 * separators and must match a whole path.
 *
 * - `doublestar`: our layout globs (`charts/*`, `apps/**`): `*` `?` `[...]` stay inside one segment,
 *   a `**` segment spans any number of directories, `{a,b}` alternates.
 * - `go`: Go's `path.Match`, used by ArgoCD's git directory generator: like doublestar but `**` is
 *   just two `*` (it does not cross `/`) and there are no braces.
 * - `pathspec`: git pathspecs (`git ls-files -- <pattern>`), used by ArgoCD's git files generator
 *   by default: `*` and `?` also match `/`.
 * - `argocd`: ArgoCD's `glob.Match` (gobwas/glob with no separators), used for a directory source's
 *   `include`/`exclude`: `*` and `?` also match `/`, `{a,b}` alternates, `[!…]` negates.
 */
export type GlobDialect = 'doublestar' | 'go' | 'pathspec' | 'argocd';

const META = /[*?[{\\]/;

export function hasGlobMeta(text: string): boolean {
  return META.test(text);
}

const cache = new Map<string, RegExp>();

export function globToRegExp(pattern: string, dialect: GlobDialect): RegExp {
  const key = `${dialect}\0${pattern}`;
  let re = cache.get(key);
  if (!re) {
    re = new RegExp(`^${dialect === 'doublestar' ? doublestarSource(pattern) : segmentSource(pattern, dialect)}$`);
    cache.set(key, re);
  }
  return re;
}

export function matchGlob(pattern: string, path: string, dialect: GlobDialect): boolean {
  return globToRegExp(pattern, dialect).test(path);
}

/** The leading directories of a pattern that hold no wildcard: where a walk can start. */
export function staticPrefix(pattern: string): string {
  const segments = pattern.split('/');
  const fixed: string[] = [];
  for (const segment of segments.slice(0, -1)) {
    if (hasGlobMeta(segment)) break;
    fixed.push(segment);
  }
  return fixed.join('/');
}

/**
 * Text every match starts with: the pattern up to its first wildcard, less a slash there (`charts/**` matches
 * `charts`). A cheap test before the expression: thousands of paths meet every ApplicationSet's generator.
 */
export function literalPrefix(pattern: string): string {
  const meta = pattern.search(META);
  const literal = meta < 0 ? pattern : pattern.slice(0, meta);
  return literal.endsWith('/') ? literal.slice(0, -1) : literal;
}

/** How many segments deep a match can be below nothing; undefined when unbounded. */
export function maxDepth(pattern: string, dialect: GlobDialect): number | undefined {
  if (dialect === 'pathspec' || dialect === 'argocd') return undefined;
  const segments = pattern.split('/');
  if (dialect === 'doublestar' && segments.includes('**')) return undefined;
  return segments.length;
}

function doublestarSource(pattern: string): string {
  const segments = pattern.split('/');
  let out = '';
  let needSeparator = false;
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === '**') {
      if (i === 0 && last) out += '.*';
      else if (i === 0) out += '(?:[^/]+/)*';
      else if (last) out += '(?:/.*)?';
      else out += '(?:/[^/]+)*';
      needSeparator = i !== 0;
      return;
    }
    if (needSeparator) out += '/';
    out += segmentSource(segment, 'doublestar');
    needSeparator = true;
  });
  return out;
}

/** One segment (or a whole pattern in the `go`/`pathspec`/`argocd` dialects). */
function segmentSource(pattern: string, dialect: GlobDialect): string {
  const crossesSlash = dialect === 'pathspec' || dialect === 'argocd';
  const any = crossesSlash ? '.' : '[^/]';
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length) {
      out += escapeRegExp(pattern[++i]);
    } else if (c === '*') {
      out += `${any}*`;
    } else if (c === '?') {
      out += any;
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw new Error(`unterminated character class in glob "${pattern}"`);
      let body = pattern.slice(i + 1, end);
      const negated = body.startsWith('^') || (dialect !== 'go' && body.startsWith('!'));
      if (negated) body = body.slice(1);
      out += `[${negated ? (dialect === 'argocd' ? '^' : '^/') : ''}${body.replace(/[\]\\^]/g, '\\$&')}]`;
      i = end;
    } else if (c === '{' && (dialect === 'doublestar' || dialect === 'argocd')) {
      const end = pattern.indexOf('}', i);
      if (end < 0) throw new Error(`unterminated {…} in glob "${pattern}"`);
      const alternatives = pattern.slice(i + 1, end).split(',');
      out += `(?:${alternatives.map((a) => segmentSource(a, dialect)).join('|')})`;
      i = end;
    } else {
      out += escapeRegExp(c);
    }
  }
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

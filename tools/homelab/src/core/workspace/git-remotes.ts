import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

/**
 * The remote URLs of the git checkout at `root` (normalized by `normalizeRepoURL`), read from its config file: what
 * tells this repository's ArgoCD sources from other repositories'. [] when `root` is not a checkout or has no remote.
 * Read directly (no git process): it is asked on every resolution.
 */
export function gitRemoteURLs(root: string): string[] {
  const config = readConfig(root);
  const urls = new Set<string>();
  let inRemote = false;
  for (const line of config.split('\n')) {
    const section = /^\s*\[\s*([^\]\s]+)/.exec(line);
    if (section) inRemote = section[1] === 'remote';
    const url = inRemote ? /^\s*url\s*=\s*(.+?)\s*$/.exec(line) : null;
    if (url) urls.add(normalizeRepoURL(url[1].replace(/^"(.*)"$/, '$1')));
  }
  return [...urls].sort();
}

/** `.git/config`, following a worktree's `.git` file to the main repository's config. */
function readConfig(root: string): string {
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  };
  const dotGit = read(join(root, '.git'));
  if (dotGit === undefined) return read(join(root, '.git', 'config')) ?? '';
  const gitdir = /^gitdir:\s*(.+?)\s*$/m.exec(dotGit)?.[1];
  if (!gitdir) return '';
  const dir = isAbsolute(gitdir) ? gitdir : join(root, gitdir);
  const common = read(join(dir, 'commondir'))?.trim();
  return read(join(common ? (isAbsolute(common) ? common : join(dir, common)) : dir, 'config')) ?? '';
}

// Constants: every Application's repoURL is normalized, a thousand of them at scale.
const SCP_STYLE = /^(?:[\w.-]+@)?([\w.-]+):(?!\/\/)(.+)$/;
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
const USER = /^[^@/]*@/;
const TRAILING_SLASHES = /\/+$/;
const GIT_SUFFIX = /\.git$/;

/** Every Application of a repository names the same few URLs: each is normalized once per process. */
const normalized = new Map<string, string>();

/**
 * One spelling per repository, as ArgoCD compares repository URLs: scheme, user and a `.git` suffix dropped, host
 * lowercased, scp-style `git@host:path` read as `host/path`.
 */
export function normalizeRepoURL(url: string): string {
  let normal = normalized.get(url);
  if (normal === undefined) {
    normal = normalizeOnce(url);
    normalized.set(url, normal);
  }
  return normal;
}

function normalizeOnce(url: string): string {
  const scp = SCP_STYLE.exec(url);
  const rest = scp ? `${scp[1]}/${scp[2]}` : url.replace(SCHEME, '').replace(USER, '');
  const [host, ...path] = rest.replace(TRAILING_SLASHES, '').replace(GIT_SUFFIX, '').split('/');
  return [host.toLowerCase(), ...path].join('/');
}

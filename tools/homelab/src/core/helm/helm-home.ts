/**
 * helm runs that reach a repository (OCI pulls, dependency builds that refresh indexes) get a private HELM_* home:
 * a temporary cache, config and data directory, so nothing is written to the user's helm setup. Credentials are
 * still the user's: HELM_REGISTRY_CONFIG and HELM_REPOSITORY_CONFIG point at the files `helm registry login` and
 * `helm repo add` wrote, which these commands only read. Nothing of the repository is ever a credential source.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { isRecord } from '../workspace/yaml-docs.ts';

/** helm's own defaults (helmpath): HELM_CONFIG_HOME, else the platform's config directory + `/helm`. */
function userHelmConfigHome(env: NodeJS.ProcessEnv): string {
  if (env.HELM_CONFIG_HOME) return env.HELM_CONFIG_HOME;
  if (process.platform === 'darwin') return path.join(homedir(), 'Library', 'Preferences', 'helm');
  return path.join(env.XDG_CONFIG_HOME || path.join(homedir(), '.config'), 'helm');
}

/** The user's `helm repo add` file and `helm registry login` file (they need not exist). */
export function userHelmConfig(env: NodeJS.ProcessEnv = process.env): { repositoryConfig: string; registryConfig: string } {
  const home = userHelmConfigHome(env);
  return {
    repositoryConfig: env.HELM_REPOSITORY_CONFIG || path.join(home, 'repositories.yaml'),
    registryConfig: env.HELM_REGISTRY_CONFIG || path.join(home, 'registry', 'config.json'),
  };
}

export interface PrivateHelmHome {
  env: Record<string, string>;
  dispose(): Promise<void>;
}

export async function privateHelmHome(env: NodeJS.ProcessEnv = process.env): Promise<PrivateHelmHome> {
  const dir = await mkdtemp(path.join(tmpdir(), 'homelab-helm-'));
  const user = userHelmConfig(env);
  return {
    env: {
      HELM_CACHE_HOME: path.join(dir, 'cache'),
      HELM_CONFIG_HOME: path.join(dir, 'config'),
      HELM_DATA_HOME: path.join(dir, 'data'),
      HELM_PLUGINS: path.join(dir, 'plugins'),
      HELM_REPOSITORY_CACHE: path.join(dir, 'cache', 'repository'),
      HELM_CONTENT_CACHE: path.join(dir, 'cache', 'content'),
      HELM_REPOSITORY_CONFIG: user.repositoryConfig,
      HELM_REGISTRY_CONFIG: user.registryConfig,
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Basic-auth credentials of a Helm repository, from the user's repositories.yaml entry with the same URL. */
export interface RepositoryCredentials {
  /** The user's name for the repository (for the hint that fixes a refusal). */
  name: string;
  username: string;
  password: string;
}

export function repositoryCredentials(repoURL: string, env: NodeJS.ProcessEnv = process.env): RepositoryCredentials | undefined {
  let doc: unknown;
  try {
    doc = parse(readFileSync(userHelmConfig(env).repositoryConfig, 'utf8'));
  } catch {
    return undefined;
  }
  const wanted = repoURL.replace(/\/+$/, '');
  const repositories = isRecord(doc) && Array.isArray(doc.repositories) ? doc.repositories.filter(isRecord) : [];
  const entry = repositories.find((r) => typeof r.url === 'string' && r.url.replace(/\/+$/, '') === wanted);
  if (!entry || typeof entry.username !== 'string' || entry.username === '') return undefined;
  return { name: String(entry.name ?? ''), username: entry.username, password: typeof entry.password === 'string' ? entry.password : '' };
}

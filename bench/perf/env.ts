// The processes a benchmark runs: our hack scripts, Nx and raw helm, each in a clean, explicit environment.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run, type RunOutput } from './measure.ts';
import { repoRoot } from './workspace.ts';

/**
 * No inherited Nx/CI switches (CI turns the daemon off), no user age key (the generated workspace is encrypted to the
 * demo key next to it), the node running this benchmark first on PATH, the helm under test in HELM_BIN.
 */
export function cleanEnv(helmBin: string, daemon = false): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`,
    HELM_BIN: helmBin,
    NX_DAEMON: String(daemon),
    NX_NO_CLOUD: 'true',
    NX_TUI: 'false',
    FORCE_COLOR: '0',
  };
  for (const name of [
    'CI',
    'NX_BASE',
    'NX_HEAD',
    'NX_SKIP_NX_CACHE',
    'NX_ISOLATE_PLUGINS',
    'NX_BATCH_MODE',
    'NX_PARALLEL',
    'SOPS_AGE_KEY',
    'SOPS_AGE_KEY_FILE',
    'SOPS_AGE_KEY_CMD',
    'SOPS_AGE_SSH_PRIVATE_KEY_FILE',
    'HOMELAB_SOPS_BACKEND',
  ]) {
    delete env[name];
  }
  return env;
}

/** The real Nx CLI of a workspace (node + nx.js, as `npx nx` ends up running it, minus npm's own startup). */
export function nx(root: string, args: string[], env: NodeJS.ProcessEnv, capture = false): Promise<RunOutput> {
  return run(process.execPath, [path.join(root, 'node_modules', 'nx', 'dist', 'bin', 'nx.js'), ...args], { cwd: root, env, capture });
}

/** Stops a workspace's daemon if one runs (ignores failures: there may be none). */
export async function stopDaemon(root: string, env: NodeJS.ProcessEnv): Promise<void> {
  await nx(root, ['daemon', '--stop'], { ...env, NX_DAEMON: 'true' }).catch(() => undefined);
}

/**
 * The floor Nx itself costs: a workspace with `plugins: []` and one project whose `noop` target runs the built-in
 * nx:noop executor, sharing the repository's node_modules and its .env.
 */
export function createBaselineWorkspace(): { root: string; dispose(): void } {
  const root = mkdtempSync(path.join(tmpdir(), 'homelab-bench-baseline-'));
  writeFileSync(path.join(root, 'nx.json'), JSON.stringify({ plugins: [], cacheDirectory: '.nx/cache' }, null, 2));
  writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'baseline', private: true }, null, 2));
  // The same Nx settings as the workspace under test (plugin isolation).
  if (existsSync(path.join(repoRoot, '.env'))) copyFileSync(path.join(repoRoot, '.env'), path.join(root, '.env'));
  mkdirSync(path.join(root, 'base'));
  writeFileSync(path.join(root, 'base', 'project.json'), JSON.stringify({ name: 'base', targets: { noop: { executor: 'nx:noop' } } }, null, 2));
  mkdirSync(path.join(root, 'node_modules'));
  for (const entry of readdirSync(path.join(repoRoot, 'node_modules'))) {
    if (entry === '.cache' || entry === '@homelab') continue;
    symlinkSync(path.join(repoRoot, 'node_modules', entry), path.join(root, 'node_modules', entry));
  }
  return { root, dispose: () => rmSync(root, { recursive: true, force: true }) };
}

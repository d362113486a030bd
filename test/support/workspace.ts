// Helpers shared by the end-to-end tests over the example workspace.
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveHelm } from '../../tools/homelab/src/core/helm/helm.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Node ≥ 22.18 running these tests, for child `nx`/hack processes. */
export const nodeBinDir = path.dirname(process.execPath);

/**
 * Nx's cache and workspace data (a SQLite database among them) for the Nx runs of this test process only: test
 * files run in parallel workers, and Nx processes sharing the checkout's `.nx` can fail on each other's lock.
 */
let nxDirs: string | undefined;
function ownNxDirs(): string {
  if (!nxDirs) {
    const dir = mkdtempSync(path.join(tmpdir(), 'homelab-test-nx-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    nxDirs = dir;
  }
  return nxDirs;
}

export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...(process.env as Record<string, string>),
    PATH: `${nodeBinDir}${path.delimiter}${process.env.PATH ?? ''}`,
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_TUI: 'false',
    NX_SKIP_NX_CACHE: 'true',
    NX_CACHE_DIRECTORY: path.join(ownNxDirs(), 'cache'),
    NX_WORKSPACE_DATA_DIRECTORY: path.join(ownNxDirs(), 'data'),
    FORCE_COLOR: '0',
    ...extra,
  };
}

/** Runs the real helm binary the toolkit resolves, from the repository root. */
export async function helm(args: string[], input?: string | Buffer) {
  const { bin } = await resolveHelm();
  return execa(bin, args, { cwd: repoRoot, input, stripFinalNewline: false });
}

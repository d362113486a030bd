// Helpers shared by the end-to-end tests over the example workspace.
import { execa } from 'execa';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveHelm } from '../../tools/homelab/src/core/helm.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Node ≥ 22.18 running these tests, for child `nx`/hack processes. */
export const nodeBinDir = path.dirname(process.execPath);

export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...(process.env as Record<string, string>),
    PATH: `${nodeBinDir}${path.delimiter}${process.env.PATH ?? ''}`,
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_TUI: 'false',
    NX_SKIP_NX_CACHE: 'true',
    FORCE_COLOR: '0',
    ...extra,
  };
}

/** Runs the real helm binary the toolkit resolves, from the repository root. */
export async function helm(args: string[], input?: string | Buffer) {
  const { bin } = await resolveHelm();
  return execa(bin, args, { cwd: repoRoot, input, stripFinalNewline: false });
}

// What the real Nx shows a user in a fresh clone: no question that rewrites a tracked file, no colour escapes under
// NO_COLOR, each task heading once when the output is a pipe (CI logs).
import { execa } from 'execa';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleRepo, nxEnv, type ExampleRepo } from '../affected/example-repo.ts';
import { hasPty, runOnTerminal } from '../support/pty.ts';

let repo: ExampleRepo;
beforeAll(() => {
  repo = createExampleRepo();
});
afterAll(() => repo?.dispose());

const nxBin = () => path.join(repo.root, 'node_modules/nx/dist/bin/nx.js');

/** Nx with its output on a pipe, as in CI; no FORCE_COLOR of our own (Nx sets one for its tasks). */
async function piped(args: string[], env: Record<string, string> = {}) {
  const base = nxEnv();
  delete base.FORCE_COLOR;
  delete base.NO_COLOR;
  const run = await execa(process.execPath, [nxBin(), ...args], {
    cwd: repo.root,
    env: { ...base, ...env },
    extendEnv: false,
    reject: false,
    all: true,
    stdin: 'ignore',
  });
  return { exitCode: run.exitCode, all: String(run.all) };
}

describe('Nx in a fresh clone', () => {
  it.skipIf(!hasPty)('the first nx on a terminal asks nothing and leaves the clone clean (analytics answered in nx.json)', async () => {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      TERM: 'xterm-256color',
      NX_DAEMON: 'false',
      NX_NO_CLOUD: 'true',
    };
    // Should Nx still ask, Ctrl-C ends it either way: before the prompt reads the terminal (SIGINT) or as its answer
    // (a decline, which Nx writes into nx.json).
    const { shown, code } = await runOnTerminal([process.execPath, nxBin(), 'show', 'projects'], [['Help improve Nx', '\x03']], { env, cwd: repo.root });
    expect(shown).not.toContain('Help improve Nx');
    expect(shown).toContain('monitoring');
    expect(code).toBe(0);
    expect(repo.git('status', '--porcelain')).toBe('');
  });

  it('NO_COLOR: no colour escapes in task output, ours included (a failing task prints our red line)', async () => {
    repo.write('charts/jellyfin/templates/zz-broken.yaml', '{{ .Values.jellyfin.image.tag | nosuchfunction }}\n');
    try {
      const run = await piped(['run', 'jellyfin:template', '--skip-nx-cache'], { NO_COLOR: '1' });
      expect(run.exitCode).not.toBe(0);
      expect(run.all).toMatch(/✖ helm template failed for home\/jellyfin/);
      expect(JSON.stringify(run.all.match(/\x1b\[[0-9;]*m.{0,20}/g))).toBe('null');
    } finally {
      repo.remove('charts/jellyfin/templates/zz-broken.yaml');
    }
  });

  it('without a terminal each task heading appears once (nx run X:target does not batch a single task)', async () => {
    const run = await piped(['run', 'jellyfin:template', '--skip-nx-cache'], { NO_COLOR: '1' });
    expect(run.exitCode).toBe(0);
    expect(run.all.match(/^> nx run jellyfin:template$/gm)).toHaveLength(1);
    expect(run.all.match(/^> nx run jellyfin:helm-deps$/gm)).toHaveLength(1);
  });

  it('run-many still batches the rendering tasks', async () => {
    const run = await piped(['run-many', '-t', 'render', '--skip-nx-cache', '--projects', 'jellyfin,networking'], { NO_COLOR: '1' });
    expect(run.exitCode).toBe(0);
    expect(run.all).toMatch(/Running 2 tasks with @homelab\/nx:render/);
  });
});

// Nx batch mode for the chart targets: one process runs every task of an executor, yet each task keeps its own
// result, output and cache entry, and one chart failing fails only its own task.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleRepo, nxEnv, type ExampleRepo } from '../affected/example-repo.ts';

let repo: ExampleRepo;

/** Nx's exit code and output (stdout and stderr together), failures included. */
function nx(...args: string[]): { code: number; out: string } {
  try {
    const out = execFileSync(process.execPath, [path.join(repo.root, 'node_modules', 'nx', 'dist', 'bin', 'nx.js'), ...args], {
      cwd: repo.root,
      env: { ...nxEnv(), FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 << 20,
    });
    return { code: 0, out: out.toString() };
  } catch (err) {
    const e = err as { status: number; stdout: Buffer; stderr: Buffer };
    return { code: e.status, out: `${e.stdout}${e.stderr}` };
  }
}

beforeAll(() => {
  repo = createExampleRepo();
  // jellyfin's template no longer parses.
  repo.write('charts/jellyfin/templates/broken.yaml', '{{ .Values.jellyfin.image.tag | nosuchfunction }}\n');
});

afterAll(() => repo?.dispose());

describe('batched chart targets', () => {
  it('run in one batch per executor; a failing chart fails only its own task, with its one-line error', () => {
    const { code, out } = nx('run-many', '-t', 'render', '--outputStyle=static');
    expect(code).not.toBe(0);
    expect(out).toContain('Running 6 tasks with @homelab/nx:render');
    expect(out).toMatch(/✖ helm template failed for home\/jellyfin \(charts\/jellyfin\): .*nosuchfunction/);
    expect(out).toMatch(/Running target render for \d+ projects and \d+ tasks they depend on failed\s+Failed tasks:\s+- jellyfin:render\s*$/);
    for (const chart of ['arr', 'gitops', 'monitoring', 'networking', 'system']) {
      expect(out).toContain(`> nx run ${chart}:render`);
      expect(out).toContain(`dist/rendered/home/${chart}.yaml`);
    }
  });

  it('every task that succeeded is cached on its own; the failed one runs again', () => {
    const { out } = nx('run-many', '-t', 'render', '--outputStyle=static');
    for (const chart of ['arr', 'gitops', 'monitoring', 'networking', 'system']) {
      expect(out).toContain(`> nx run ${chart}:render  [local cache]`);
    }
    expect(out).not.toContain('> nx run jellyfin:render  [local cache]');
    expect(out).toMatch(/✖ helm template failed for home\/jellyfin/);
  });
});

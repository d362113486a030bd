// The escape hatch must work when Nx does not: every hack script runs in a copy of the workspace whose
// nx.json is not even JSON, and does what it does in the real workspace.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleRepo, type ExampleRepo } from '../affected/example-repo.ts';
import { writeKubeconfig } from '../helpers/kubeconfig.ts';
import { childEnv, repoRoot } from '../support/workspace.ts';

const run = promisify(execFile);

async function hack(root: string, script: string, args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(path.join(root, 'hack', script), args, { cwd: root, env: childEnv(env), maxBuffer: 32 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('hack scripts with a broken nx.json', () => {
  let repo: ExampleRepo;
  let kubeconfig: string;
  beforeAll(async () => {
    repo = createExampleRepo();
    writeFileSync(path.join(repo.root, 'nx.json'), '{ "plugins": [ this is not json');
    kubeconfig = await writeKubeconfig([{ name: 'home', server: 'https://home.example.invalid:6443' }]);
  });
  afterAll(() => repo.dispose());

  it('nx itself is broken there', async () => {
    const nx = await run(process.execPath, [path.join(repo.root, 'node_modules/nx/dist/bin/nx.js'), 'show', 'projects'], {
      cwd: repo.root,
      env: childEnv(),
    }).catch((e: { code: number }) => e);
    expect((nx as { code: number }).code).not.toBe(0);
  });

  it('hack/template renders what it renders in the real workspace, warning about nx.json once', async () => {
    const broken = await hack(repo.root, 'template', ['monitoring']);
    const real = await hack(repoRoot, 'template', ['monitoring']);
    expect(broken.code).toBe(0);
    expect(broken.stdout).toBe(real.stdout);
    expect(broken.stdout).toContain('kind: StatefulSet');
    expect(broken.stderr.trim().split('\n')).toEqual([expect.stringMatching(/nx\.json unreadable .*using default globs charts\/\* and clusters\/\*/)]);
  });

  it('hack/install, hack/uninstall and hack/diff plan exactly what they plan in the real workspace', async () => {
    for (const [script, args] of [
      ['install', ['monitoring', '--cluster', 'home', '--dry-run']],
      ['uninstall', ['jellyfin', '--dry-run', '--yes']],
      ['diff', ['arr', '--dry-run']],
    ] as const) {
      const flags = [...args, '--kubeconfig', kubeconfig];
      const broken = await hack(repo.root, script, flags);
      const real = await hack(repoRoot, script, flags);
      expect(broken.code, `${script}: ${broken.stderr}`).toBe(0);
      expect(broken.stdout).toBe(real.stdout);
      expect(broken.stdout).toMatch(/^\$ (helm|kubectl) /m);
    }
  });

  it('hack/status refuses an unreachable cluster in one line', async () => {
    const unreachable = await writeKubeconfig([{ name: 'home', server: 'https://127.0.0.1:1' }]);
    const edited = repo.read('clusters/home/cluster.yaml').replace('https://home.example.invalid:6443', 'https://127.0.0.1:1');
    repo.write('clusters/home/cluster.yaml', edited);
    const result = await hack(repo.root, 'status', ['monitoring', '--kubeconfig', unreachable]);
    expect(result.code).not.toBe(0);
    expect(
      result.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('✖')),
    ).toHaveLength(1);
  });

  it('hack/secrets reads secrets.yaml (masked)', async () => {
    const result = await hack(repo.root, 'secrets', ['view']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/adminPassword: REDACTED[0-9a-f]{8}/);
  });
});

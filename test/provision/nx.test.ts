// The inferred `provision` project through the real Nx, in a throwaway copy of this workspace.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath } from '../../tools/homelab/src/core/helm/helm.ts';
import { createExampleRepo, nxEnv, type ExampleRepo } from '../affected/example-repo.ts';

const ansiblePlaybook = await findOnPath('ansible-playbook', process.env.PATH ?? '');
const skipReason = ansiblePlaybook ? '' : ' [skipped: ansible-playbook not on PATH — apt-get install ansible-core]';
if (skipReason) console.warn(`test/provision/nx.test.ts:${skipReason}`);

let repo: ExampleRepo;
beforeAll(() => {
  repo = createExampleRepo();
});
afterAll(() => repo?.dispose());

/** Runs nx in the copy with stdin closed (no terminal), returning exit code and all output. */
function nx(...args: string[]): { code: number; out: string } {
  try {
    const out = execFileSync(process.execPath, [path.join(repo.root, 'node_modules/nx/dist/bin/nx.js'), ...args, '--output-style=static'], {
      cwd: repo.root,
      env: { ...nxEnv(), NX_CACHE_DIRECTORY: path.join(repo.root, '.nx-test-cache'), FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString('utf8');
    return { code: 0, out };
  } catch (err) {
    const e = err as { status: number; stdout: Buffer; stderr: Buffer };
    return { code: e.status, out: `${e.stdout.toString('utf8')}${e.stderr.toString('utf8')}` };
  }
}

describe('the provision project', () => {
  it('is inferred from provision/site.yaml with check (cached) and apply (never cached)', () => {
    const project = JSON.parse(repo.nx('show', 'project', 'provision', '--json')) as {
      root: string;
      targets: Record<string, { executor: string; cache: boolean; inputs?: unknown[] }>;
    };
    expect(project.root).toBe('provision');
    expect(project.targets.check).toMatchObject({ executor: '@homelab/nx:provision-check', cache: true });
    expect(project.targets.check.inputs).toContain('{projectRoot}/**/*');
    expect(project.targets.apply).toMatchObject({ executor: '@homelab/nx:provision-apply', cache: false });
  });

  it('apply refuses a real run without a terminal, and names the missing inventory for a --check dry run', () => {
    const real = nx('run', 'provision:apply');
    expect(real.code).not.toBe(0);
    expect(real.out).toContain('# in provision/: ansible-playbook -i inventory.yaml site.yaml\n');
    expect(real.out).toContain('✖ provision apply changes real machines and there is no terminal to confirm on — pass --yes, or preview with --check');
    const dry = nx('run', 'provision:apply', '--check', '--tags=os,k3s');
    expect(dry.out).toContain('# in provision/: ansible-playbook -i inventory.yaml site.yaml --check --diff --tags os,k3s\n');
    expect(dry.out).toContain('✖ provision/inventory.yaml not found — copy provision/inventory.example.yaml to provision/inventory.yaml and list your nodes');
    expect(dry.code).not.toBe(0);
  });

  it.skipIf(!ansiblePlaybook)(`check passes, is a cache hit the second time, and fails on a broken playbook${skipReason}`, () => {
    const first = nx('run', 'provision:check');
    expect(first.out).toContain('syntax-checked provision/site.yaml');
    expect(first.out).toContain('provision: playbooks are valid');
    expect(first.code).toBe(0);
    const again = nx('run', 'provision:check');
    expect(again.out).toContain('Nx read the output from the cache instead of running the command for 1 out of 1 tasks');
    expect(again.code).toBe(0);

    repo.write(
      'provision/site.yaml',
      `${repo.read('provision/site.yaml')}\n- name: Broken\n  hosts: all\n  tasks:\n    - ansible.builtin.debug: {msg: a}\n      ansible.builtin.command: b\n`,
    );
    const broken = nx('run', 'provision:check');
    expect(broken.code).not.toBe(0);
    expect(broken.out).toMatch(/provision\/site\.yaml(:\d+:\d+)?: .* \(syntax-check\)/);
    expect(broken.out).toContain('the provision check found 1 problem in provision/');
  });
});

/**
 * hack/promote in a real git repository holding a copy of the example (lab runs grafana 12.2.0 and blocky
 * v0.27.0, home 12.1.1 and v0.26.2): the promotion is a branch whose only change is the pin, whose render differs
 * from main's by exactly the version; a dry run leaves the repository as it was; dirty files and an existing
 * branch are refused in one line.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleRepo, type ExampleRepo } from '../affected/example-repo.ts';
import { childEnv } from '../support/workspace.ts';

let repo: ExampleRepo;
beforeAll(() => {
  repo = createExampleRepo();
});
afterAll(() => repo?.dispose());

const hack = (name: string, args: string[]) => execa(path.join(repo.root, 'hack', name), args, { cwd: repo.root, env: childEnv(), reject: false });
/** Everything a promotion must not touch: branches with their commits, HEAD, the index and working tree, worktrees. */
const state = () => [repo.git('branch', '-v', '--no-abbrev'), repo.git('status', '--porcelain', '--branch'), repo.git('worktree', 'list')];
const homeRender = async () => {
  const result = await hack('template', ['monitoring', '--cluster', 'home', '--keyless']);
  expect(result.exitCode, result.stderr).toBe(0);
  return result.stdout;
};

describe('hack/promote monitoring --from lab --to home', () => {
  it('--dry-run prints the render diff of home and changes nothing', async () => {
    const before = state();
    const result = await hack('promote', ['monitoring', '--from', 'lab', '--to', 'home', '--dry-run']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('- `clusters/home/versions/monitoring.yaml`\n  - grafana.image.tag: 12.1.1 → 12.2.0\n');
    expect(result.stdout).toContain('### home/monitoring (chart monitoring): changed');
    expect(result.stdout).toContain('-          image: docker.io/grafana/grafana:12.1.1\n+          image: docker.io/grafana/grafana:12.2.0\n');
    expect(state()).toEqual(before);
  });

  it('makes branch promote/lab-to-home-monitoring whose change is the pin and whose render differs by the version alone', async () => {
    const main = repo.git('rev-parse', 'HEAD').trim();
    const rendered = await homeRender();
    const result = await hack('promote', ['monitoring', '--from', 'lab', '--to', 'home']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^branch promote\/lab-to-home-monitoring \([0-9a-f]{12}\): 1 file\(s\) changed$/);
    // The checkout is where it was: same branch, same commit, clean.
    expect(repo.git('rev-parse', 'HEAD').trim()).toBe(main);
    expect(repo.git('branch', '--show-current').trim()).toBe('main');
    expect(repo.git('status', '--porcelain')).toBe('');
    // One commit on top of main, one line changed in the registry.
    expect(repo.git('rev-list', '--count', `${main}..promote/lab-to-home-monitoring`).trim()).toBe('1');
    expect(repo.git('diff', '--numstat', main, 'promote/lab-to-home-monitoring')).toBe('1\t1\tclusters/home/versions/monitoring.yaml\n');
    // The rendered Deployment of the printed diff changes in the image and the version label, nothing else.
    const changed = result.stdout.split('\n').filter((l) => /^[-+]\s{2,}\S/.test(l));
    expect(changed).toEqual([
      '-    app.kubernetes.io/version: "12.1.1"',
      '+    app.kubernetes.io/version: "12.2.0"',
      '-          image: docker.io/grafana/grafana:12.1.1',
      '+          image: docker.io/grafana/grafana:12.2.0',
    ]);
    // And independently: home rendered on the branch is main's render with grafana's version replaced.
    repo.git('switch', '--quiet', 'promote/lab-to-home-monitoring');
    try {
      const promoted = await homeRender();
      // The old version appears twice in main's render (the image and grafana's version label) and nowhere else.
      expect(rendered.split('12.1.1')).toHaveLength(3);
      expect(promoted).toBe(rendered.replaceAll('12.1.1', '12.2.0'));
    } finally {
      repo.git('switch', '--quiet', 'main');
    }
  });

  it('refuses when the branch exists already, and changes nothing', async () => {
    const before = state();
    const result = await hack('promote', ['monitoring', '--from', 'lab', '--to', 'home']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim()).toBe(
      '✖ branch promote/lab-to-home-monitoring exists already — merge or delete it first (git branch -D promote/lab-to-home-monitoring)',
    );
    expect(state()).toEqual(before);
  });

  it('refuses uncommitted changes to a file it would rewrite', async () => {
    const file = 'clusters/home/versions/networking.yaml';
    const text = repo.read(file);
    repo.write(file, `${text}# work in progress\n`);
    try {
      const before = state();
      const result = await hack('promote', ['networking', '--from', 'lab', '--to', 'home']);
      expect(result.exitCode).toBe(1);
      expect(result.stderr.trim()).toBe(`✖ ${file} has uncommitted changes, and the promotion rewrites it from HEAD — commit or discard them first`);
      expect(state()).toEqual(before);
    } finally {
      repo.write(file, text);
    }
  });
});

describe('hack/promote pins in the Application', () => {
  it("an upstream chart's targetRevision: the branch changes that one scalar in home's Application", async () => {
    const lab = 'clusters/lab/apps/argocd.yaml';
    repo.write(lab, repo.read(lab).replace('targetRevision: 8.5.8', 'targetRevision: 8.5.9'));
    const main = repo.commit('lab runs argo-cd 8.5.9');
    const result = await hack('promote', ['argocd', '--from', 'lab', '--to', 'home']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('- `clusters/home/apps/argocd.yaml`\n  - spec.source.targetRevision: 8.5.8 → 8.5.9\n');
    expect(
      repo
        .git('diff', '--unified=0', main, 'promote/lab-to-home-argocd', '--', '.')
        .split('\n')
        .filter((l) => /^[-+] /.test(l)),
    ).toEqual(['-    targetRevision: 8.5.8', '+    targetRevision: 8.5.9']);
    // root renders home's Application files: it shows the same change.
    expect(result.stdout).toContain('### home/root (chart root): changed');
  });

  it('--all promotes every app both environments deploy; an app only one deploys is refused by name', async () => {
    const all = await hack('promote', ['--all', '--from', 'lab', '--to', 'home', '--dry-run']);
    expect(all.exitCode, all.stderr).toBe(0);
    expect(all.stdout).toContain('## Promote argocd, monitoring, networking, root, system from lab to home');
    expect(all.stdout).toContain('  - blocky.image.tag: v0.26.2 → v0.27.0\n');
    const gitops = await hack('promote', ['gitops', '--from', 'lab', '--to', 'home', '--dry-run']);
    expect(gitops.exitCode).toBe(1);
    expect(gitops.stderr.trim()).toBe('✖ gitops is not deployed in lab — apps of lab: argocd, monitoring, networking, root, system');
  });
});

describe('the promote workflows run hack/promote and name the branch it made', () => {
  const runs: [string, string][] = [
    ['.github/workflows/promote.yaml', 'networking'],
    ['.gitea/workflows/promote.yaml', 'monitoring networking'],
  ];
  it.each(runs)('%s with app "%s"', async (file, app) => {
    const workflow = parse(readFileSync(path.join(repo.root, file), 'utf8')) as {
      on: { workflow_dispatch: { inputs: Record<string, unknown> } };
      jobs: { promote: { steps: { name?: string; run?: string }[] } };
    };
    expect(Object.keys(workflow.on.workflow_dispatch.inputs)).toEqual(['app', 'from', 'to']);
    const step = workflow.jobs.promote.steps.find((s) => s.name === 'Promote')!;
    const scratch = mkdtempSync(path.join(tmpdir(), 'promote-workflow-'));
    try {
      const env = { APP: app, FROM: 'lab', TO: 'home', GITHUB_ENV: path.join(scratch, 'env'), GITHUB_STEP_SUMMARY: path.join(scratch, 'summary') };
      const result = await execa('bash', ['-e', '-c', step.run!], { cwd: repo.root, env: childEnv(env), reject: false });
      expect(result.exitCode, result.stderr).toBe(0);
      const branch = /^BRANCH=(.*)$/m.exec(readFileSync(env.GITHUB_ENV, 'utf8'))![1];
      expect(branch).toBe(`promote/lab-to-home-${app.replace(' ', '-')}`);
      // The branch the next step pushes exists, and the description it sends is the command's output.
      expect(repo.git('rev-parse', '--verify', `refs/heads/${branch}`).trim()).toMatch(/^[0-9a-f]{40}$/);
      expect(readFileSync(path.join(repo.root, 'dist/promote.md'), 'utf8')).toBe(result.stdout.endsWith('\n') ? result.stdout : `${result.stdout}\n`);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
      repo.git('config', 'user.name', 'CI');
      repo.git('config', 'user.email', 'ci@example.invalid');
    }
  });
});

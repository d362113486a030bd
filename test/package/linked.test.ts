// The package linked from a directory (`npm i -D <path to tools/homelab>`), as someone trying a checkout would do:
// Nx can neither hash files outside the workspace nor find an installed package of that name, so the build's id is
// the tooling input, and a second run is still all cache hits (it used to fail every cached target).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveHelm } from '../../tools/homelab/src/core/helm/helm.ts';
import { repoRoot } from '../support/workspace.ts';
import { cachedTasks, createGitopsRepo, INIT, npmInstall, userEnv, withoutProxy } from './gitops-repo.ts';

describe('@homelab/nx linked from a directory', () => {
  let scratch: string;
  let root: string;
  let env: Record<string, string>;
  const npx = (...args: string[]) =>
    execa('npx', args, { cwd: root, env: args.includes('@homelab/nx:init') ? withoutProxy(env) : env, extendEnv: false, all: true });

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'homelab-linked-'));
    root = path.join(scratch, 'gitops');
    const helmBin = (await resolveHelm()).bin;
    await createGitopsRepo(root, helmBin);
    await npmInstall(root, path.join(repoRoot, 'tools/homelab'));
    env = userEnv(root, helmBin);
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('renders, and a second nx run-many -t render is all cache hits', async () => {
    await npx(...INIT);
    const first = await npx('nx', 'run-many', '-t', 'render', '--outputStyle=static');
    expect(cachedTasks(first.all)).toBeUndefined();
    const second = await npx('nx', 'run-many', '-t', 'render', '--outputStyle=static');
    expect(cachedTasks(second.all)).toEqual({ cached: 3, of: 3 });
    const project = JSON.parse((await npx('nx', 'show', 'project', 'whoami', '--json')).stdout) as { targets: { render: { inputs: unknown[] } } };
    expect(project.targets.render.inputs).toContainEqual({ runtime: `node ${path.join(repoRoot, 'tools/homelab/dist/src/cli/package-build.js')}` });
  });
});

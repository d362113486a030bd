// An explicit age key setting is used or refused, never replaced by the demo key; it is looked up once per run; and
// the keys a render used are part of its Nx cache key, so a cached render never hides a key error.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateIdentity } from 'age-encryption';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleRepo, nxEnv, type ExampleRepo } from '../affected/example-repo.ts';
import { startClusterRepo } from '../helpers/cluster-repo.ts';

let repo: ExampleRepo;
let dir: string;
/** The demo key, moved out of the copy: from here on it is a key only when a setting names it. */
let keyFile: string;

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...nxEnv(), HOME: dir, FORCE_COLOR: '0', ...extra };
  for (const k of ['SOPS_AGE_KEY', 'SOPS_AGE_KEY_FILE', 'SOPS_AGE_KEY_CMD', 'XDG_CONFIG_HOME']) if (!(k in extra)) delete e[k];
  return e;
}

const run = (args: string[], extra?: Record<string, string>) =>
  execa(process.execPath, args, { cwd: repo.root, env: env(extra), extendEnv: false, reject: false, stdin: 'ignore' });
const hackTemplate = (extra?: Record<string, string>) => run([path.join(repo.root, 'hack/template'), 'monitoring'], extra);
const nxTemplate = (extra?: Record<string, string>) =>
  run([path.join(repo.root, 'node_modules/nx/dist/bin/nx.js'), 'run', 'monitoring:template', '--outputStyle=static'], extra);

/** The task's one error line (Nx frames it with its own lines); no manifest printed. */
function nxError(result: { exitCode?: number; stdout: unknown; stderr: unknown }): string {
  expect(result.exitCode).not.toBe(0);
  const all = `${result.stdout}\n${result.stderr}`;
  expect(all).not.toMatch(/^(apiVersion|kind):/m);
  const errors = all.split('\n').filter((l) => l.includes('✖'));
  expect(errors).toHaveLength(1);
  return errors[0];
}

/** Whether Nx replayed monitoring:template from its cache (its dependency helm-deps may be cached either way). */
const fromCache = (result: { stdout: unknown }) =>
  /nx run monitoring:template\s+(\x1b\[\d+m)?\[(local cache|existing outputs match the cache, left as is)\]/.test(String(result.stdout));

beforeAll(() => {
  repo = createExampleRepo();
  dir = mkdtempSync(path.join(tmpdir(), 'key-settings-'));
  keyFile = path.join(dir, 'demo-key.txt');
  writeFileSync(keyFile, repo.read('demo-age-key.txt'));
  repo.remove('demo-age-key.txt');
});
afterAll(() => {
  repo?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('explicit key settings', () => {
  it('are refused in one line naming the variable, by hack/template and by Nx, even with the demo key present', async () => {
    repo.write('demo-age-key.txt', readFileSync(keyFile, 'utf8'));
    try {
      const empty = path.join(dir, 'empty.txt');
      writeFileSync(empty, '# no identity here\n');
      const cases: [Record<string, string>, string][] = [
        [{ SOPS_AGE_KEY_FILE: path.join(dir, 'missing.txt') }, `SOPS_AGE_KEY_FILE=${path.join(dir, 'missing.txt')}: file not found`],
        [{ SOPS_AGE_KEY_FILE: empty }, `SOPS_AGE_KEY_FILE=${empty} holds no age identity`],
        [{ SOPS_AGE_KEY_CMD: 'false' }, 'SOPS_AGE_KEY_CMD="false" failed (exit 1)'],
        [{ SOPS_AGE_KEY: 'AGE-SECRET-KEY-1QQQQ' }, 'SOPS_AGE_KEY holds an invalid age identity'],
      ];
      for (const [setting, line] of cases) {
        const hack = await hackTemplate(setting);
        expect(hack.exitCode, line).not.toBe(0);
        expect(hack.stdout).toBe('');
        expect(String(hack.stderr).trim().split('\n')).toEqual([expect.stringContaining(line)]);
        expect(String(hack.stderr)).not.toContain('invalid data length');
        expect(nxError(await nxTemplate(setting))).toContain(line);
      }
    } finally {
      repo.remove('demo-age-key.txt');
    }
  });

  it('SOPS_AGE_KEY_CMD runs exactly once per hack/template', async () => {
    const key = countingKeyCommand('template');
    const hack = await hackTemplate({ SOPS_AGE_KEY_CMD: key.command });
    expect(hack.exitCode, String(hack.stderr)).toBe(0);
    expect(hack.stdout).toMatch(/^kind: Secret$/m);
    expect(key.runs()).toBe(1);
  });

  it('SOPS_AGE_KEY_CMD runs exactly once per hack/install with a helm dry run, never for --dry-run', async () => {
    const cluster = await startClusterRepo();
    try {
      const install = (key: { command: string }, ...flags: string[]) =>
        execa(
          process.execPath,
          [path.join(cluster.repo.root, 'hack/install'), 'monitoring', '--cluster', 'home', '--kubeconfig', cluster.kubeconfig, ...flags],
          {
            cwd: cluster.repo.root,
            env: env({ SOPS_AGE_KEY_CMD: key.command }),
            extendEnv: false,
            reject: false,
            stdin: 'ignore',
          },
        );
      // The dry run shows its pipes by what they carry: placeholders, no key needed.
      const preview = countingKeyCommand('dry-run');
      const dryRun = await install(preview, '--dry-run');
      expect(dryRun.exitCode, String(dryRun.stderr)).toBe(0);
      expect(preview.runs()).toBe(0);
      // helm's own dry run gets the real values, decrypted with the run's one key lookup.
      const real = countingKeyCommand('helm-dry-run');
      const helmDryRun = await install(real, '--helm-dry-run', 'client');
      expect(helmDryRun.exitCode, String(helmDryRun.stderr)).toBe(0);
      expect(real.runs()).toBe(1);
    } finally {
      await cluster.dispose();
    }
  });
});

/** A SOPS_AGE_KEY_CMD that prints the key and appends a line to a counter file (which holds no secret). */
function countingKeyCommand(name: string): { command: string; runs(): number } {
  const counter = path.join(dir, `${name}.count`);
  const command = path.join(dir, `${name}-key-cmd.sh`);
  writeFileSync(command, `#!/bin/sh\necho run >> '${counter}'\ncat '${keyFile}'\n`);
  chmodSync(command, 0o755);
  return { command, runs: () => (existsSync(counter) ? readFileSync(counter, 'utf8').split('\n').filter(Boolean).length : 0) };
}

describe('the Nx cache of template', () => {
  it('replays a render only for the keys that made it', async () => {
    const keyed = await nxTemplate({ SOPS_AGE_KEY_FILE: keyFile });
    expect(keyed.exitCode, String(keyed.stderr)).toBe(0);
    expect(keyed.stdout).toMatch(/^kind: Secret$/m);
    expect(fromCache(keyed)).toBe(false);

    const again = await nxTemplate({ SOPS_AGE_KEY_FILE: keyFile });
    expect(again.exitCode).toBe(0);
    expect(fromCache(again)).toBe(true);

    expect(nxError(await nxTemplate())).toMatch(/secrets\.yaml: no age key found/);
    const wrong = await generateIdentity();
    const wrongLine = nxError(await nxTemplate({ SOPS_AGE_KEY: wrong }));
    expect(wrongLine).toMatch(/secrets\.yaml: none of the age keys from SOPS_AGE_KEY can decrypt it/);
    expect(wrongLine).not.toContain(wrong);
    expect(nxError(await nxTemplate({ SOPS_AGE_KEY_FILE: path.join(dir, 'gone.txt') }))).toContain('file not found');
    expect(nxError(await nxTemplate({ SOPS_AGE_KEY: 'AGE-SECRET-KEY-1QQQQ' }))).toContain('SOPS_AGE_KEY holds an invalid age identity');

    const same = await nxTemplate({ SOPS_AGE_KEY: readFileSync(keyFile, 'utf8').match(/AGE-SECRET-KEY-1\w+/)![0] });
    expect(same.exitCode).toBe(0);
    expect(fromCache(same)).toBe(true);
  });
});

// The Nx shell of the secrets command: the same core as hack/secrets, but nothing it prints may be a value,
// since Nx keeps every task's terminal output in its cache directory.
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptFile } from '../../tools/homelab/src/core/secrets/index.ts';
import { createExampleRepo, nxEnv, type ExampleRepo } from '../affected/example-repo.ts';
import { findIn, needlesOf, scanTree } from './plaintext-scan.ts';

let repo: ExampleRepo;
let dir: string;

function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...nxEnv(), HOME: dir, FORCE_COLOR: '0' };
  for (const k of ['SOPS_AGE_KEY', 'SOPS_AGE_KEY_FILE', 'SOPS_AGE_KEY_CMD', 'XDG_CONFIG_HOME']) delete e[k];
  return e;
}

const nx = (args: string[], input?: string) =>
  execa(process.execPath, [path.join(repo.root, 'node_modules/nx/dist/bin/nx.js'), 'run', 'workspace:secrets', '--', ...args], {
    cwd: repo.root,
    env: env(),
    extendEnv: false,
    reject: false,
    ...(input === undefined ? { stdin: 'ignore' as const } : { input }),
  });

beforeAll(() => {
  repo = createExampleRepo();
  dir = mkdtempSync(path.join(tmpdir(), 'nx-secrets-'));
});
afterAll(() => {
  repo?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('nx run workspace:secrets', () => {
  it('refuses get and view --reveal with one line naming hack/secrets', async () => {
    for (const [args, hint] of [
      [['get', 'monitoring.grafana.adminPassword'], 'use hack/secrets get <path> instead'],
      [['view', '--reveal', '--output', 'json'], 'use hack/secrets view --reveal instead'],
    ] as const) {
      const run = await nx([...args]);
      expect(run.exitCode).not.toBe(0);
      const errors = `${run.stdout}\n${run.stderr}`.split('\n').filter((l) => l.includes('✖'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/the Nx target never prints decrypted values/);
      expect(errors[0]).toContain(hint);
      const { leaves } = await decryptFile(path.join(repo.root, 'secrets.yaml'), { workspaceRoot: repo.root, env: env() });
      expect(findIn(`${run.stdout}${run.stderr}`, needlesOf(leaves))).toEqual([]);
    }
  });

  it('sets a value piped on stdin, and the value is nowhere in the Nx cache', async () => {
    const file = path.join(dir, 'copy.yaml');
    copyFileSync(path.join(repo.root, 'secrets.yaml'), file);
    const value = 'value-piped-through-nx-0123456789';
    const run = await nx(['set', 'monitoring.grafana.adminPassword', '--file', file], `${value}\n`);
    expect(run.exitCode, String(run.stderr)).toBe(0);
    expect(readFileSync(file, 'utf8')).not.toContain(value);
    const { data } = await decryptFile(file, { workspaceRoot: repo.root, env: env() });
    expect((data as { monitoring: { grafana: { adminPassword: string } } }).monitoring.grafana.adminPassword).toBe(value);
    const outputs = path.join(repo.root, '.nx/cache/terminalOutputs');
    expect(readdirSync(outputs).length).toBeGreaterThan(0);
    expect(scanTree(path.join(repo.root, '.nx'), needlesOf([value]))).toEqual([]);
    expect(`${run.stdout}${run.stderr}`).not.toContain(value);
  });

  it('refuses a value on the command line without echoing it', async () => {
    const run = await nx(['set', 'a.b', 'argv-value-never-echoed']);
    expect(run.exitCode).not.toBe(0);
    // Refused by the plugin before any task runs: Nx prints the line as its own error (test/secrets/nx-argv.test.ts).
    const errors = `${run.stdout}\n${run.stderr}`.split('\n').filter((l) => l.includes('never takes the value'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/never takes the value as an argument/);
    expect(errors[0]).not.toContain('argv-value-never-echoed');
  });
});

// A value typed on the command line of the Nx secrets target is refused before Nx prints or records the command
// (its task header, `.nx/cache/run.json`): the plugin's preTasksExecution hook sees argv before any task runs.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleRepo, nxEnv, type ExampleRepo } from '../affected/example-repo.ts';
import { needlesOf, scanTree } from './plaintext-scan.ts';

let repo: ExampleRepo;
let home: string;

beforeAll(() => {
  repo = createExampleRepo();
  home = mkdtempSync(path.join(tmpdir(), 'nx-argv-'));
});
afterAll(() => {
  repo?.dispose();
  rmSync(home, { recursive: true, force: true });
});

const nx = (args: string[]) =>
  execa(process.execPath, [path.join(repo.root, 'node_modules/nx/dist/bin/nx.js'), ...args], {
    cwd: repo.root,
    env: { ...nxEnv(), HOME: home, FORCE_COLOR: '0' },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });

describe('nx secrets set with the value on the command line', () => {
  it.each([
    ['run', 'workspace:secrets', '--', 'set', 'monitoring.grafana.adminPassword'],
    ['run', 'workspace:secrets', 'set', 'monitoring.grafana.adminPassword'],
    ['secrets', 'workspace', '--', 'set', '--file', 'secrets.yaml', 'monitoring.grafana.adminPassword'],
    ['run-many', '-t', 'secrets', '--', 'set', 'monitoring.grafana.adminPassword'],
  ])('nx %s %s … is refused in one line before Nx runs or records anything', async (...args) => {
    const value = `typed-on-argv-${args.length}-0123456789`;
    const before = readFileSync(path.join(repo.root, 'secrets.yaml'), 'utf8');
    rmSync(path.join(repo.root, '.nx/cache/run.json'), { force: true });
    const run = await nx([...args, value]);
    expect(run.exitCode).not.toBe(0);
    const output = `${run.stdout}\n${run.stderr}`;
    expect(output).not.toContain(value);
    expect(output).not.toContain('nx run workspace:secrets');
    expect(output.split('\n').filter((l) => l.includes('never takes the value'))).toEqual([
      ' NX   secrets set never takes the value as an argument (shell history, ps) — pipe it on stdin or type it at the hidden prompt',
    ]);
    expect(existsSync(path.join(repo.root, '.nx/cache/run.json'))).toBe(false);
    expect(scanTree(path.join(repo.root, '.nx'), needlesOf([value]))).toEqual([]);
    expect(readFileSync(path.join(repo.root, 'secrets.yaml'), 'utf8')).toBe(before);
  });

  it('other subcommands still reach the task', async () => {
    const run = await nx(['run', 'workspace:secrets', '--', 'recipients']);
    expect(run.exitCode, String(run.stderr)).toBe(0);
    expect(run.stdout).toContain('age1n7suadl0z93027qn82r8lkzzanpfhscj30g098kayfphn83dycesy4svze');
  });
});

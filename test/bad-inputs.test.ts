// Bad inputs of the render commands, through the real hack scripts and the real nx in a copy of the example
// workspace: one line naming what is wrong and the fix, a non-zero exit, nothing rendered or written.
import { execa } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleRepo, type ExampleRepo } from './affected/example-repo.ts';
import { writeKubeconfig } from './helpers/kubeconfig.ts';
import { childEnv } from './support/workspace.ts';

let repo: ExampleRepo;
beforeAll(() => {
  repo = createExampleRepo();
});
afterAll(() => repo.dispose());

async function run(file: string, args: string[], env: Record<string, string> = {}) {
  const child = await execa(file, args, { cwd: repo.root, env: childEnv(env), reject: false, stdin: 'ignore' });
  return { code: child.exitCode, stdout: String(child.stdout), stderr: String(child.stderr), all: `${String(child.stdout)}\n${String(child.stderr)}` };
}
const hack = (script: string, ...args: string[]) => run(path.join(repo.root, 'hack', script), args);
const nx = (args: string[], env: Record<string, string> = {}) => run(process.execPath, [path.join(repo.root, 'node_modules/nx/dist/bin/nx.js'), ...args], env);
const errorLines = (text: string) =>
  stripVTControlCharacters(text)
    .split('\n')
    .filter((line) => line.startsWith('✖'));

describe('an invalid namespace', () => {
  const line =
    'clusters/home/apps/monitoring.yaml: Application monitoring: namespace "Monitoring_NS!" is not a valid DNS-1123 label — ' +
    "use at most 63 characters: lowercase letters, digits and '-', starting and ending with a letter or digit";
  let original: string;
  beforeAll(() => {
    original = repo.read('clusters/home/apps/monitoring.yaml');
    repo.write('clusters/home/apps/monitoring.yaml', original.replace('namespace: monitoring\n', 'namespace: Monitoring_NS!\n'));
  });
  afterAll(() => repo.write('clusters/home/apps/monitoring.yaml', original));

  it('is refused by hack/template and hack/install --dry-run, naming the Application file, before any render or cluster', async () => {
    const kubeconfig = await writeKubeconfig([{ name: 'home', server: 'https://127.0.0.1:1' }]);
    for (const result of [await hack('template', 'monitoring'), await hack('install', 'monitoring', '--dry-run', '--kubeconfig', kubeconfig)]) {
      expect(result.code).toBe(1);
      expect(errorLines(result.stderr)).toEqual([`✖ ${line}`]);
      expect(result.stdout).not.toMatch(/kind:|\$ helm/);
    }
  });

  it('is refused by nx validate and lint', async () => {
    for (const target of ['monitoring:validate', 'monitoring:lint']) {
      const result = await nx(['run', target]);
      expect(result.code, target).toBe(1);
      expect(errorLines(result.all), target).toEqual([`✖ ${line}`]);
    }
  });
});

describe('an output directory that is a file', () => {
  it('is one line naming the file, and nothing is written', async () => {
    repo.write('out.txt', 'not a directory\n');
    const atFile = await hack('template', 'monitoring', '--output-dir', 'out.txt');
    expect(atFile.code).toBe(1);
    expect(errorLines(atFile.stderr)).toEqual([
      '✖ output directory out.txt: out.txt is a file, not a directory — choose another output directory, or move the file away',
    ]);

    repo.write('rendered/home', 'a file where the cluster directory goes\n');
    const below = await hack('template', 'jellyfin', '--output-dir', 'rendered');
    expect(below.code).toBe(1);
    expect(errorLines(below.stderr)).toEqual([
      '✖ output directory rendered: rendered/home is a file, not a directory — choose another output directory, or move the file away',
    ]);
    expect(repo.read('rendered/home')).toBe('a file where the cluster directory goes\n');
  });
});

describe('an unknown configuration', () => {
  it('is refused before any task runs, listing the configurations the target has', async () => {
    const result = await nx(['run', 'monitoring:template:nope']);
    expect(result.code).toBe(1);
    expect(result.all).toContain(
      'monitoring:template has no configuration "nope" — use one of: monitoring:template:home, monitoring:template:lab, monitoring:template:ci, or monitoring:template alone',
    );
    expect(result.all).not.toMatch(/nx run monitoring|kind:/);

    const flag = await nx(['run', 'monitoring:render', '--configuration=ci']);
    expect(flag.code).toBe(1);
    expect(flag.all).toContain(
      'monitoring:render has no configuration "ci" — use one of: monitoring:render:home, monitoring:render:lab, or monitoring:render alone',
    );

    const many = await nx(['run-many', '-t', 'template', '-c', 'nope']);
    expect(many.code).toBe(1);
    expect(many.all).toContain('no template target has a configuration "nope" — use one of: ci, home, lab');
  });

  it('a configuration the target has still runs', async () => {
    const result = await nx(['run', 'monitoring:template:ci']);
    expect(result.code, result.all).toBe(0);
    expect(result.all).toContain('kind: StatefulSet');
  });
});

describe('template --outputDir through Nx', () => {
  it('restores the files on a cache hit', async () => {
    const env = { NX_SKIP_NX_CACHE: 'false' };
    const file = path.join(repo.root, 'dist/template/home/monitoring.yaml');
    const first = await nx(['run', 'monitoring:template', '--outputDir', 'dist/template'], env);
    expect(first.code, first.all).toBe(0);
    const rendered = readFileSync(file, 'utf8');
    expect(rendered).toContain('kind: StatefulSet');
    repo.remove('dist/template');

    const second = await nx(['run', 'monitoring:template', '--outputDir', 'dist/template'], env);
    expect(second.code, second.all).toBe(0);
    expect(second.all).toMatch(/nx run monitoring:template --outputDir dist\/template +\[local cache\]/);
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(rendered);
  });

  it('refuses a directory outside the workspace before rendering (Nx cannot cache it)', async () => {
    // Beside this copy of the workspace, so no other run can have made it.
    const outside = `../${path.basename(repo.root)}-out`;
    const result = await nx(['run', 'monitoring:template', '--outputDir', outside]);
    expect(result.code).toBe(1);
    expect(errorLines(result.all)).toEqual([
      `✖ --outputDir ${outside} is outside the workspace, where Nx cannot cache the files — use a directory inside the workspace (e.g. dist/template), or hack/template --output-dir`,
    ]);
    expect(existsSync(path.join(repo.root, outside))).toBe(false);
  });
});

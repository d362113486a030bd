// The CI `render` target through the real Nx: keyless, one masked file per release, cached with its outputs.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decryptFile } from '../../tools/homelab/src/core/secrets/index.ts';
import { createExampleRepo, type ExampleRepo } from './example-repo.ts';
import { expandedInputs } from '../helpers/nx-inputs.ts';

let repo: ExampleRepo;

beforeAll(() => {
  vi.stubEnv('NX_ISOLATE_PLUGINS', 'false');
  repo = createExampleRepo();
});

afterAll(() => {
  repo?.dispose();
  vi.unstubAllEnvs();
});

const output = () => path.join(repo.root, 'dist/rendered/home/monitoring.yaml');
const run = () => repo.nx('run', 'monitoring:render', '--outputStyle=static');

describe('render target', () => {
  it('declares one output per release and reads secrets.yaml but not README, docs or provision', () => {
    const project = JSON.parse(repo.nx('show', 'project', 'monitoring', '--json')) as {
      namedInputs: Record<string, unknown[]>;
      targets: Record<string, { outputs: string[]; inputs: unknown[]; cache: boolean }>;
    };
    const target = project.targets.render;
    const inputs = expandedInputs(project, 'render');
    expect(target.cache).toBe(true);
    // One per release: monitoring runs in home and in lab.
    expect(target.outputs).toEqual(['{workspaceRoot}/dist/rendered/home/monitoring.yaml', '{workspaceRoot}/dist/rendered/lab/monitoring.yaml']);
    const files = inputs.filter((i): i is string => typeof i === 'string');
    expect(files).toContain('{workspaceRoot}/secrets.yaml');
    expect(files).toContain('{workspaceRoot}/clusters/home/apps/monitoring.yaml');
    expect(files).toContain('{workspaceRoot}/clusters/lab/versions/monitoring.yaml');
    expect(files.filter((i) => /README|docs\/|provision\//.test(i))).toEqual([]);
    // The helm version, set once per command by the plugin's pre-task hook; no runtime input runs TypeScript.
    expect(inputs).toContainEqual({ env: 'HOMELAB_HELM_VERSION' });
    const runtimes = inputs.flatMap((i) => (typeof i === 'object' && i !== null && 'runtime' in i ? [String(i.runtime)] : []));
    expect(runtimes.filter((r) => /\.ts\b/.test(r))).toEqual([]);
  });

  it('groups the targets and gives the hack-backed ones a help command, as first-party plugins do for the project view', () => {
    type Shown = {
      metadata: { targetGroups: Record<string, string[]> };
      targets: Record<string, { metadata: { help?: { command: string; example: object } } }>;
    };
    const project = JSON.parse(repo.nx('show', 'project', 'monitoring', '--json')) as Shown;
    expect(project.metadata.targetGroups).toEqual({
      Render: ['helm-deps', 'template', 'render'],
      Quality: ['lint', 'validate'],
      Cluster: ['install', 'uninstall', 'diff', 'status'],
    });
    expect(project.targets.template.metadata.help).toEqual({ command: 'node hack/template --help', example: { options: { outputDir: 'dist/rendered' } } });
    expect(project.targets.install.metadata.help).toEqual({ command: 'node hack/install --help', example: { options: { dryRun: true } } });
    expect(project.targets.render.metadata.help).toEqual({ command: 'node hack/template --help', example: { options: { outputDir: 'dist/rendered' } } });
    expect(project.targets.status.metadata.help).toEqual({ command: 'node hack/status --help', example: { options: {} } });
  });

  it('writes a keyless, masked file per release that holds no secret value and prints only its path', async () => {
    const log = run();
    expect(log).toContain('dist/rendered/home/monitoring.yaml');
    const rendered = readFileSync(output(), 'utf8');
    expect(rendered).toMatch(/^kind: StatefulSet$/m);
    // The real values (decrypted here with the demo key) appear neither in the file nor in the log.
    const { leaves } = await decryptFile(path.join(repo.root, 'secrets.yaml'), { workspaceRoot: repo.root, env: {} });
    const secrets = leaves.filter((l) => l.length >= 6);
    expect(secrets.length).toBeGreaterThan(5);
    for (const secret of secrets) {
      expect(rendered).not.toContain(secret);
      expect(log).not.toContain(secret);
    }
    // Secret data is masked with markers (elsewhere keyless renders show `placeholder-<path>` values, never secrets).
    const secretDocs = rendered.split(/^---$/m).filter((doc) => /^kind: Secret$/m.test(doc));
    expect(secretDocs.length).toBeGreaterThan(0);
    for (const doc of secretDocs) expect(doc).toMatch(/:\s+REDACTED[0-9a-f]{8}/);
    expect(rendered).toContain('placeholder-monitoring.alertmanager.smtp.host');
  });

  it('is cached: a second run and a run after deleting dist/ restore the file from the cache', () => {
    const first = readFileSync(output(), 'utf8');
    expect(run()).toMatch(/monitoring:render.*(local cache|existing outputs match the cache)/);
    rmSync(path.join(repo.root, 'dist'), { recursive: true, force: true });
    expect(run()).toMatch(/monitoring:render.*\[local cache\]/);
    expect(existsSync(output()) && readFileSync(output(), 'utf8')).toBe(first);
  });
});

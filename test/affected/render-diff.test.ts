// PR render diff and the two CI shells (hack/affected, hack/render-diff) on a real branch of the example.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { computeAffected } from '../../tools/homelab/src/core/ci/affected.ts';
import { renderDiff, renderDiffMarkdown, type ReleaseDiff, type RenderDiffReport } from '../../tools/homelab/src/core/ci/render-diff.ts';
import { decryptFile, editFile } from '../../tools/homelab/src/core/secrets/index.ts';
import { createExampleRepo, nxEnv, type ExampleRepo } from './example-repo.ts';

let repo: ExampleRepo;
let base: string;
let head: string;
let report: RenderDiffReport;

let cacheHome: string;

beforeAll(async () => {
  vi.stubEnv('NX_ISOLATE_PLUGINS', 'false');
  // A user cache of its own (the render cache lives there): the real one is neither read nor filled.
  cacheHome = mkdtempSync(path.join(tmpdir(), 'homelab-cache-'));
  vi.stubEnv('XDG_CACHE_HOME', cacheHome);
  repo = createExampleRepo();
  base = repo.git('rev-parse', 'HEAD').trim();
  repo.git('checkout', '--quiet', '-b', 'feature');
  repo.write('clusters/home/apps/monitoring.yaml', repo.read('clusters/home/apps/monitoring.yaml').replace('value: 30d', 'value: 15d'));
  repo.remove('charts/jellyfin');
  repo.write('charts/echo/Chart.yaml', 'apiVersion: v2\nname: echo\nversion: 0.1.0\n');
  repo.write('charts/echo/values.yaml', 'message: hello\n');
  repo.write('charts/echo/templates/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: echo\ndata:\n  message: {{ .Values.message }}\n');
  await editFile(path.join(repo.root, 'secrets.yaml'), (doc) => doc.set(['monitoring', 'grafana', 'adminPassword'], 'a-new-password'), {
    workspaceRoot: repo.root,
    env: {},
  });
  head = repo.commit('feature');
  report = await renderDiff(repo.root, await computeAffected(repo.root, { base: 'main' }));
});

afterAll(() => {
  repo?.dispose();
  vi.unstubAllEnvs();
  rmSync(cacheHome, { recursive: true, force: true });
});

const release = (name: string) => report.releases.find((r) => r.name === name)!;

describe('renderDiff', () => {
  it('renders the affected releases on both sides and reports them per resource', () => {
    expect(report).toMatchObject({ base, head });
    expect(report.releases.map((r) => `${r.cluster}/${r.name}:${r.status}`).sort()).toEqual([
      'home/echo:added',
      'home/jellyfin:removed',
      'home/monitoring:changed',
      // The root app prints the Application files: monitoring's changed.
      'home/root:changed',
      // The other environment's release prints the changed password too (its placeholder is tagged by the ciphertext).
      'lab/monitoring:changed',
      'lab/root:unchanged',
    ]);
    const monitoring = release('monitoring');
    const changes = (r: ReleaseDiff) => r.resources.map((x) => `${x.change} ${x.kind} ${x.namespace}/${x.name}`);
    expect(changes(monitoring)).toEqual(['changed Secret monitoring/grafana-admin', 'changed StatefulSet monitoring/prometheus']);
    expect(monitoring.resources[1].diff).toMatch(/^-\s+- --storage\.tsdb\.retention\.time=30d$/m);
    expect(monitoring.resources[1].diff).toMatch(/^\+\s+- --storage\.tsdb\.retention\.time=15d$/m);
    // Secret data stays masked: the marker of the placeholder changed.
    expect(monitoring.resources[0].diff).toMatch(/^-\s+\S+: REDACTED[0-9a-f]{8}$/m);
    expect(monitoring.resources[0].diff).not.toContain('a-new-password');
    expect(changes(report.releases.find((r) => r.cluster === 'lab' && r.name === 'monitoring')!)).toEqual(['changed Secret monitoring/grafana-admin']);
    expect(release('echo').resources).toMatchObject([{ change: 'added', kind: 'ConfigMap', name: 'echo' }]);
    expect(release('jellyfin').resources.every((r) => r.change === 'removed')).toBe(true);
    expect(release('jellyfin').resources.map((r) => r.kind)).toContain('Deployment');
  });

  it('prints markdown with a table per release, folded diffs, and no secret value', async () => {
    const markdown = renderDiffMarkdown(report);
    expect(markdown).toContain(`## Render diff ${base.slice(0, 7)}..${head.slice(0, 7)}`);
    expect(markdown).toContain('| changed | StatefulSet | monitoring | prometheus |');
    expect(markdown).toContain('<details><summary>added ConfigMap echo</summary>');
    expect(markdown.indexOf('home/monitoring')).toBeLessThan(markdown.indexOf('home/jellyfin'));
    const { leaves } = await decryptFile(path.join(repo.root, 'secrets.yaml'), { workspaceRoot: repo.root, env: {} });
    for (const secret of [...leaves, 'a-new-password'].filter((l) => l.length >= 6)) expect(markdown).not.toContain(secret);
    const cut = renderDiffMarkdown(report, { maxDiffLines: 5 });
    expect(cut).toContain('the report reached its size limit');
    expect(cut.length).toBeLessThan(markdown.length);
  });
});

describe('CI shells', () => {
  const hack = (script: string, ...args: string[]) =>
    execFileSync(process.execPath, [path.join(repo.root, 'hack', script), ...args], {
      cwd: repo.root,
      env: nxEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString();

  it('hack/affected explains the selection and writes NX_BASE/NX_HEAD/HOMELAB_AFFECTED for the next steps', () => {
    const envFile = path.join(repo.root, 'github-env');
    writeFileSync(envFile, '');
    const out = hack('affected', '--base', 'main', '-t', 'lint,render', '--keyless', '--env', envFile);
    expect(out).toMatch(/^affected monitoring: .*secrets: secrets\.yaml key monitoring\.grafana\.adminPassword changed/m);
    expect(out).toMatch(/^skipped  arr: reads none of the changed keys of secrets\.yaml/m);
    expect(out).toMatch(/^removed  jellyfin: /m);
    expect(readFileSync(envFile, 'utf8')).toBe(`NX_BASE=${base}\nNX_HEAD=${head}\nHOMELAB_AFFECTED=echo,monitoring,root\n`);
  });

  it('hack/render-diff writes the full report and appends the cut one to the job summary', () => {
    const summary = path.join(repo.root, 'summary.md');
    writeFileSync(summary, '# CI\n');
    const out = hack('render-diff', '--base', 'main', '--output', 'dist/render-diff.md', '--summary', summary, '--max-diff-lines', '10');
    const full = readFileSync(path.join(repo.root, 'dist/render-diff.md'), 'utf8');
    expect(full).toContain('+            - --storage.tsdb.retention.time=15d');
    expect(readFileSync(summary, 'utf8')).toBe(`# CI\n${out}`);
    expect(out).toContain('the report reached its size limit');
  });
});

// hack/list and hack/graph on a copy of the example, through the real launchers: every release of the resolution is a
// row and a node; the render column hashes what the render output holds; broken Applications are rows with their
// reason; --live reads the fake API server on the declared context; the HTML picture is rendered by headless Chromium
// and every release, chart and value file node is in the rendered DOM.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleRepo, type ExampleRepo } from '../affected/example-repo.ts';
import { startFakeApiServer, type FakeApiServer } from '../helpers/fake-apiserver.ts';
import { writeKubeconfig } from '../helpers/kubeconfig.ts';
import { childEnv } from '../support/workspace.ts';
import { openWorkspace } from '../../tools/homelab/src/core/resolve/workspace.ts';
import type { Release } from '../../tools/homelab/src/core/model/types.ts';

let repo: ExampleRepo;
let api: FakeApiServer;
let kubeconfig: string;
let releases: Release[];

beforeAll(async () => {
  api = await startFakeApiServer();
  repo = createExampleRepo();
  const clusterFile = path.join(repo.root, 'clusters/home/cluster.yaml');
  writeFileSync(clusterFile, readFileSync(clusterFile, 'utf8').replace(/^server: .*$/m, `server: ${api.url}`));
  kubeconfig = await writeKubeconfig([{ name: 'home', server: api.url }]);
  releases = (await openWorkspace(repo.root)).resolution.releases;
});
afterAll(async () => {
  await api?.close();
  repo?.dispose();
});

async function hack(cmd: string, ...args: string[]) {
  const child = await execa(process.execPath, [path.join(repo.root, 'hack', cmd), ...args], {
    cwd: repo.root,
    env: childEnv(),
    reject: false,
    stdin: 'ignore',
  });
  return { exitCode: child.exitCode, stdout: String(child.stdout), stderr: String(child.stderr) };
}

const key = (r: { cluster: string; release?: string; name?: string }) => `${r.cluster}/${r.release ?? r.name}`;

describe('hack/list', () => {
  it('one row per release, versions from Chart.yaml or targetRevision, the render hash of dist/rendered', async () => {
    expect((await hack('template', 'monitoring', '--keyless', '--output-dir', 'dist/rendered')).exitCode).toBe(0);
    const rendered = readFileSync(path.join(repo.root, 'dist/rendered/home/monitoring.yaml'));
    const result = await hack('list', '-o', 'json');
    expect(result.exitCode, result.stderr).toBe(0);
    const { releases: rows, findings } = JSON.parse(result.stdout);
    expect(findings).toEqual([]);
    expect(rows.map(key).sort()).toEqual(releases.map(key).sort());
    const row = (name: string) => rows.find((r: { cluster: string; release: string }) => key(r) === name);
    expect(row('home/monitoring')).toEqual({
      cluster: 'home',
      release: 'monitoring',
      application: 'monitoring',
      wave: 10,
      tier: 'platform',
      namespace: 'monitoring',
      source: 'chart',
      chart: 'charts/monitoring',
      version: '0.1.0',
      render: createHash('sha256').update(rendered).digest('hex').slice(0, 12),
    });
    expect(row('home/argocd')).toMatchObject({
      source: 'upstream',
      chart: 'https://argoproj.github.io/argo-helm/argo-cd',
      tier: 'infrastructure',
      render: null,
    });
    expect(row('home/whoami')).toMatchObject({ source: 'kustomize', version: 'main', tier: 'apps' });
    expect(row('home/root')).toMatchObject({ source: 'directory', chart: 'clusters/home/apps', version: null });

    const table = await hack('list', '--cluster', 'home');
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0].split(/\s+/)).toEqual(['CLUSTER', 'WAVE', 'TIER', 'NAMESPACE', 'RELEASE', 'SOURCE', 'CHART', 'VERSION', 'RENDER']);
    expect(lines).toHaveLength(1 + releases.filter((r) => r.cluster === 'home').length);
    expect(lines.find((l) => l.includes(' monitoring '))?.split(/\s+/)).toEqual([
      'home',
      '10',
      'platform',
      'monitoring',
      'monitoring',
      'chart',
      'charts/monitoring',
      '0.1.0',
      row('home/monitoring').render,
    ]);
    // Sync-wave order within the cluster, as ArgoCD syncs them.
    const waves = lines.slice(1).map((l) => Number(l.split(/\s+/)[1]));
    expect(waves).toEqual([...waves].sort((a, b) => a - b));
  });

  it('a broken Application is a row with its one-line reason', async () => {
    const broken = 'clusters/home/apps/broken.yaml';
    repo.write(broken, 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: broken\nspec:\n  source:\n    path: charts/nowhere\n');
    try {
      const json = JSON.parse((await hack('list', '-o', 'json')).stdout);
      expect(json.findings).toHaveLength(1);
      expect(json.findings[0]).toMatchObject({ cluster: 'home', file: broken });
      const table = await hack('list');
      const line = table.stdout.split('\n').find((l) => l.includes('BROKEN'));
      expect(line).toBe(`home  BROKEN  ${json.findings[0].finding}`);
      expect(line).toContain(broken);
    } finally {
      repo.remove(broken);
    }
  });

  it('--live: Helm status and the Application sync/health on the declared context (a pause shown)', async () => {
    api.put('applications', {
      metadata: { name: 'monitoring', namespace: 'argocd', annotations: { 'homelab.dev/paused-sync-policy': '{"automated":{}}' } },
      spec: { syncPolicy: {} },
      status: { sync: { status: 'OutOfSync' }, health: { status: 'Degraded' } },
    });
    const before = api.writes().length;
    const result = await hack('list', '--live', '--cluster', 'home', '--kubeconfig', kubeconfig, '-o', 'json');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(api.writes().length).toBe(before);
    expect(result.stderr).toContain(`Cluster home: kube-context home (${api.url})`);
    const rows = JSON.parse(result.stdout).releases;
    const monitoring = rows.find((r: { release: string }) => r.release === 'monitoring');
    expect(monitoring).toMatchObject({ helm: null, argocd: { sync: 'OutOfSync', health: 'Degraded', paused: true } });
    expect(rows.find((r: { release: string }) => r.release === 'arr').argocd).toBe('not in the cluster');
    const table = await hack('list', '--live', '--cluster', 'home', '--kubeconfig', kubeconfig);
    expect(table.stdout).toMatch(/ monitoring .* -\s+OutOfSync\/Degraded \(sync paused\)\n/);
  });

  it('--live is guarded: another cluster behind the declared context is refused', async () => {
    const elsewhere = await writeKubeconfig([{ name: 'home', server: 'https://127.0.0.1:1' }]);
    const result = await hack('list', '--live', '--cluster', 'home', '--kubeconfig', elsewhere);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('refusing to act on another cluster');
  });
});

/** Headless Chromium (Debian's chromium): the HTML test needs a real browser to lay the page out. */
function findChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      return (
        execFileSync('sh', ['-c', `command -v ${name}`])
          .toString()
          .trim() || undefined
      );
    } catch {}
  }
  return undefined;
}
const chromium = findChromium();

describe('hack/graph', () => {
  it('mermaid (default): a flowchart with a node per release and the edges down to value files', async () => {
    const result = await hack('graph', '--cluster', 'home');
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('flowchart LR');
    for (const r of releases.filter((r) => r.cluster === 'home'))
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^ {2}n\\d+\\["${r.name}"\\]:::release$`)));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}n\d+\["charts\/common"\]:::library$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}n\d+\[\/"secrets\.yaml"\/\]:::secretValues$/));
    expect(result.stdout).not.toContain('[["lab"]]');
  });

  it.skipIf(!chromium)('html: headless Chromium renders a node for every release, chart and value file, with nothing loaded from the network', async () => {
    const out = path.join(repo.root, 'graph.html');
    const result = await hack('graph', '--format', 'html', '--out', 'graph.html');
    expect(result.exitCode, result.stderr).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).not.toMatch(/<script|<link|src=|url\(|@import/);
    const dom = execFileSync(chromium!, ['--headless', '--no-sandbox', '--disable-gpu', '--dump-dom', `file://${out}`], {
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 120_000,
    }).toString();
    const rendered = (kind: string) => [...dom.matchAll(new RegExp(`<g class="node ${kind}" id="([^"]+)"`, 'g'))].map((m) => m[1]);
    expect(rendered('release').sort()).toEqual(releases.map((r) => `release:${r.cluster}/${r.name}`).sort());
    expect(rendered('cluster').sort()).toEqual(['cluster:home', 'cluster:lab']);
    const charts = new Set(releases.filter((r) => !r.source).map((r) => `chart:${r.chartDir}`));
    for (const chart of charts) expect(rendered('chart')).toContain(chart);
    expect(rendered('library')).toEqual(['chart:charts/common']);
    const files = new Set(releases.flatMap((r) => r.valueFiles.filter((f) => !f.inChart && !f.secret).map((f) => `values:${f.path}`)));
    expect(rendered('values').sort()).toEqual([...files].sort());
    expect(rendered('secret-values')).toEqual(['values:secrets.yaml']);
    // Every edge joins two rendered nodes.
    const ids = new Set([...dom.matchAll(/<g class="node [\w-]+" id="([^"]+)"/g)].map((m) => m[1]));
    for (const m of dom.matchAll(/<path class="edge" data-from="([^"]+)" data-to="([^"]+)"/g)) {
      expect(ids.has(m[1]) && ids.has(m[2]), `${m[1]} -> ${m[2]}`).toBe(true);
    }
    expect(existsSync(out)).toBe(true);
  });
});

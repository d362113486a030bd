// The fidelity harness: ArgoCD's helm command per release, run for real in a scratch copy, against the toolkit's
// render. A chart reading another chart's key of secrets.yaml renders differently (helm-secrets gives ArgoCD the
// whole file, the toolkit gives a release its chart's key only): verify must say so, and only for that release.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyReleases } from '../tools/homelab/src/core/commands/verify.ts';
import { openWorkspace } from '../tools/homelab/src/core/resolve/workspace.ts';
import { exampleFiles, materialize } from './adoption/layouts.ts';
import { childEnv, repoRoot } from './support/workspace.ts';

describe('verify', () => {
  let repo: { root: string; dispose(): void };
  beforeAll(() => {
    repo = materialize({ name: 'example', files: exampleFiles(), initArgs: [], chartGlobs: [], clusterGlobs: [], projects: [], releases: [] });
  });
  afterAll(() => repo?.dispose());

  it('prints the command ArgoCD runs per release, says equal for the example and names the first differing line', async () => {
    writeFileSync(
      path.join(repo.root, 'charts/arr/templates/peek.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: peek\ndata:\n  monitoring: {{ keys (.Values.monitoring | default dict) | sortAlpha | join "," | quote }}\n',
    );
    const ws = await openWorkspace(repo.root);
    let out = '';
    const report = await verifyReleases(ws, {}, (line) => {
      out += line;
    });
    const lines = out.trimEnd().split('\n');
    // One line per release ArgoCD deploys, then the summary; what is not a helm template of a local chart says why it is skipped.
    expect(lines).toHaveLength(ws.resolution.releases.filter((r) => r.origin !== 'convention').length + 1);
    expect(report.counts).toMatchObject({ equal: 5, differs: 1, failed: 0 });
    expect(lines.filter((l) => l.startsWith('skipped ')).every((l) => /^skipped home\/\S+: an? \S+ (chart|source), not /.test(l))).toBe(true);
    expect(lines.at(-1)).toBe(`verify: 5 equal, 1 differ, 0 failed, ${report.counts.skipped} skipped (${lines.length - 1} releases)`);
    expect(lines.find((l) => l.includes('home/monitoring'))).toBe(
      'equal   home/monitoring  $ cd $REPO/charts/monitoring && helm template . --name-template monitoring --namespace monitoring --kube-version 1.33.0 ' +
        '--set prometheus.retention=30d --set-string grafana.env.GF_USERS_ALLOW_SIGN_UP=false --values $REPO/charts/monitoring/values.yaml ' +
        '--values $REPO/clusters/home/values/global.yaml --values $REPO/clusters/home/versions/monitoring.yaml --values secrets://../../secrets.yaml --include-crds',
    );
    expect(lines.find((l) => l.includes('home/gitops'))).toMatch(
      /--values secrets:\/\/\.\.\/\.\.\/secrets\.yaml --values \$TMP\/values-\d+\.yaml --include-crds$/,
    );
    const arr = lines.find((l) => l.includes('home/arr'))!;
    expect(arr).toMatch(
      /^differs home\/arr: line \d+: toolkit " {2}monitoring: \\"\\"" ≠ argocd " {2}monitoring: \\"[a-z,]+\\"" {2}\$ cd \$REPO\/charts\/arr && helm template/,
    );
  });

  it('nx run workspace:verify on the example: the same lines through the executor, success', async () => {
    const nxDirs = mkdtempSync(path.join(tmpdir(), 'verify-nx-'));
    try {
      const result = await execa(process.execPath, [path.join(repoRoot, 'node_modules/nx/dist/bin/nx.js'), 'run', 'workspace:verify', '--skip-nx-cache'], {
        cwd: repoRoot,
        reject: false,
        all: true,
        env: {
          NX_DAEMON: 'false',
          NX_NO_CLOUD: 'true',
          NX_TUI: 'false',
          FORCE_COLOR: '0',
          NX_CACHE_DIRECTORY: path.join(nxDirs, 'cache'),
          NX_WORKSPACE_DATA_DIRECTORY: path.join(nxDirs, 'data'),
        },
      });
      expect(result.exitCode, result.all).toBe(0);
      expect(result.all).toMatch(/^equal {3}home\/monitoring {2}\$ cd \$REPO\/charts\/monitoring && helm template \. --name-template monitoring /m);
      expect(result.all).toMatch(/^verify: 9 equal, 0 differ, 0 failed, \d+ skipped \(\d+ releases\)$/m);
    } finally {
      rmSync(nxDirs, { recursive: true, force: true });
    }
  }, 300_000); // the task graph builds every chart's dependencies first

  it('hack/verify on the example: one line per release, a summary, exit 0', () => {
    const out = execFileSync(process.execPath, [path.join(repoRoot, 'hack/verify')], { cwd: repoRoot, env: childEnv() }).toString('utf8');
    expect(out.trimEnd().split('\n').at(-1)).toMatch(/^verify: 9 equal, 0 differ, 0 failed, \d+ skipped \(\d+ releases\)$/);
  });
});

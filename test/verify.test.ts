// The fidelity harness: ArgoCD's helm command per release, run for real in a scratch copy, against the toolkit's
// render. A chart reading another chart's key of secrets.yaml renders differently (helm-secrets gives ArgoCD the
// whole file, the toolkit gives a release its chart's key only): verify must say so, and only for that release.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
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
        '--values $REPO/clusters/home/values/global.yaml --values secrets://../../secrets.yaml --include-crds',
    );
    expect(lines.find((l) => l.includes('home/gitops'))).toMatch(
      /--values secrets:\/\/\.\.\/\.\.\/secrets\.yaml --values \$TMP\/values-\d+\.yaml --include-crds$/,
    );
    const arr = lines.find((l) => l.includes('home/arr'))!;
    expect(arr).toMatch(
      /^differs home\/arr: line \d+: toolkit " {2}monitoring: \\"\\"" ≠ argocd " {2}monitoring: \\"[a-z,]+\\"" {2}\$ cd \$REPO\/charts\/arr && helm template/,
    );
  });

  it('hack/verify on the example: one line per release, a summary, exit 0', () => {
    const out = execFileSync(process.execPath, [path.join(repoRoot, 'hack/verify')], { cwd: repoRoot, env: childEnv() }).toString('utf8');
    expect(out.trimEnd().split('\n').at(-1)).toMatch(/^verify: 6 equal, 0 differ, 0 failed, \d+ skipped \(\d+ releases\)$/);
  });
});

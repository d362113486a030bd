// The fidelity harness: ArgoCD's helm command per release, run for real in a scratch copy, against the toolkit's
// render. A chart reading another chart's key of secrets.yaml renders differently (helm-secrets gives ArgoCD the
// whole file, the toolkit gives a release its chart's key only): verify must say so, and only for that release.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyReleases } from '../tools/homelab/src/core/commands/verify.ts';
import { firstObjectDifference } from '../tools/homelab/src/core/commands/verify-manifests.ts';
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
    // One line per release ArgoCD deploys, then the summary.
    expect(lines).toHaveLength(ws.resolution.releases.filter((r) => r.origin !== 'convention').length + 1);
    expect(report.counts).toEqual({ equal: 9, differs: 1, failed: 0, skipped: 0 });
    expect(lines.at(-1)).toBe('verify: 9 equal, 1 differ, 0 failed, 0 skipped (10 releases)');
    // A Kustomize source with edits: ArgoCD's kustomize edit commands, run by a real kustomize in a scratch copy.
    expect(lines.find((l) => l.includes('home/whoami'))).toBe(
      'equal   home/whoami  $ cd $REPO/kustomize/whoami/home && kustomize edit set image traefik/whoami:v1.11.0 && ' +
        'kustomize edit add annotation homelab.example.invalid/owner:apps && cd $REPO && kubectl kustomize $REPO/kustomize/whoami/home',
    );
    // An upstream chart: helm template in the chart the cache holds, copied to the temp dir as ArgoCD extracts the pull.
    expect(lines.find((l) => l.includes('home/cert-manager'))).toMatch(
      /^equal {3}home\/cert-manager {2}\$ cd \$TMP\/cert-manager-v1\.18\.2 && helm template \. --name-template cert-manager --namespace cert-manager --kube-version 1\.33\.0 --values \$REPO\/clusters\/home\/values\//,
    );
    // A directory: kubectl decodes the same files; compared object by object.
    expect(lines.find((l) => l.includes('home/root'))).toMatch(
      /^equal {3}home\/root {2}\$ kubectl patch --local --type merge -p '\{\}' -o json -f \$REPO\/clusters\/home\/apps\/apps\.yaml -f /,
    );
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

  it('offline without the chart cache: upstream releases are skipped naming the pull; a Kustomize source without edits is compared with kubectl kustomize', async () => {
    const whoami = path.join(repo.root, 'clusters/home/apps/whoami.yaml');
    const original = readFileSync(whoami, 'utf8');
    writeFileSync(whoami, original.replace(/    kustomize:\n(      .*\n)+/, ''));
    const emptyCache = mkdtempSync(path.join(tmpdir(), 'verify-cache-'));
    const saved = { cache: process.env.XDG_CACHE_HOME, offline: process.env.HOMELAB_OFFLINE };
    try {
      const ws = await openWorkspace(repo.root);
      process.env.XDG_CACHE_HOME = emptyCache;
      process.env.HOMELAB_OFFLINE = '1';
      let out = '';
      const report = await verifyReleases(ws, { cluster: 'home' }, (line) => {
        out += line;
      });
      expect(out).toContain('equal   home/whoami  $ kubectl kustomize $REPO/kustomize/whoami/home\n');
      expect(out.split('\n').filter((l) => /^(skipped|failed)/.test(l))).toEqual([
        'skipped home/argocd: argo-cd 8.5.8 from https://argoproj.github.io/argo-helm is not in the chart cache and could not be fetched: run npx homelab charts pull, then verify again',
        'skipped home/cert-manager: cert-manager v1.18.2 from https://charts.jetstack.io is not in the chart cache and could not be fetched: run npx homelab charts pull, then verify again',
      ]);
      expect(report.counts).toMatchObject({ failed: 0, skipped: 2 });
    } finally {
      process.env.XDG_CACHE_HOME = saved.cache;
      if (saved.offline === undefined) delete process.env.HOMELAB_OFFLINE;
      else process.env.HOMELAB_OFFLINE = saved.offline;
      writeFileSync(whoami, original);
      rmSync(emptyCache, { recursive: true, force: true });
    }
  });

  it('an Application with images, namePrefix, commonLabels, replicas, namespace and patch edits: equal to the kustomize edit commands ArgoCD runs', async () => {
    const file = path.join(repo.root, 'clusters/home/apps/whoami-edited.yaml');
    writeFileSync(
      file,
      `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: whoami-edited
  namespace: argocd
spec:
  project: homelab
  source:
    repoURL: https://github.com/example/homelab.git
    targetRevision: main
    path: kustomize/whoami/home
    kustomize:
      namePrefix: edited-
      images: [traefik/whoami=registry.example.invalid/whoami:v1.11.0]
      commonLabels: {app.kubernetes.io/instance: $ARGOCD_APP_NAME, tier: apps}
      replicas: [{name: whoami, count: 3}]
      namespace: whoami-edited
      patches:
        - target: {kind: Service}
          patch: |-
            - op: add
              path: /spec/type
              value: ClusterIP
  destination:
    server: https://kubernetes.default.svc
    namespace: whoami-edited
`,
    );
    try {
      const ws = await openWorkspace(repo.root);
      let out = '';
      await verifyReleases(ws, { cluster: 'home' }, (line) => {
        out += line;
      });
      const line = out.split('\n').find((l) => l.includes('home/whoami-edited'));
      expect(line).toBe(
        'equal   home/whoami-edited  $ cd $REPO/kustomize/whoami/home && kustomize edit set nameprefix -- edited- && ' +
          'kustomize edit set image traefik/whoami=registry.example.invalid/whoami:v1.11.0 && kustomize edit set replicas whoami=3 && ' +
          'kustomize edit add label app.kubernetes.io/instance:whoami-edited tier:apps && kustomize edit set namespace -- whoami-edited && ' +
          ": 'patches appended to the kustomization (kustomize edit has no command for them)' && cd $REPO && kubectl kustomize $REPO/kustomize/whoami/home",
      );
      // The repository itself is never edited: the commands ran in a scratch copy.
      expect(readFileSync(path.join(repo.root, 'kustomize/whoami/home/kustomization.yaml'), 'utf8')).toBe(
        readFileSync(path.join(repoRoot, 'kustomize/whoami/home/kustomization.yaml'), 'utf8'),
      );
    } finally {
      rmSync(file);
    }
  });

  it('compares a directory object by object: key order and formatting aside, a changed value or a missing object differs', () => {
    const kubectlJson = (...objects: unknown[]) => objects.map((o) => `${JSON.stringify(o, null, 4)}\n`).join('');
    const ours = '---\n# Source: a.yaml\nmetadata:\n  name: a\nkind: ConfigMap\napiVersion: v1\ndata: {on: "1"}\n';
    expect(firstObjectDifference(ours, kubectlJson({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { true: '1' } }))).toBeUndefined();
    expect(firstObjectDifference(ours, kubectlJson({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { true: '2' } }))).toBe(
      'object 1: toolkit ConfigMap/a ≠ argocd ConfigMap/a',
    );
    expect(
      firstObjectDifference(
        ours,
        kubectlJson({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { true: '1' } }, { kind: 'Secret', metadata: { name: 's' } }),
      ),
    ).toBe('object 2: toolkit no object ≠ argocd Secret/s');
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
      expect(result.all).toMatch(/^verify: 15 equal, 0 differ, 0 failed, 0 skipped \(15 releases\)$/m);
    } finally {
      rmSync(nxDirs, { recursive: true, force: true });
    }
  }, 300_000); // the task graph builds every chart's dependencies first

  it('hack/verify on the example: one line per release, a summary, exit 0', () => {
    const out = execFileSync(process.execPath, [path.join(repoRoot, 'hack/verify')], { cwd: repoRoot, env: childEnv() }).toString('utf8');
    expect(out.trimEnd().split('\n').at(-1)).toMatch(/^verify: 15 equal, 0 differ, 0 failed, 0 skipped \(15 releases\)$/);
  });
});

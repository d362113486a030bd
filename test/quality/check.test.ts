// check: each rule against a fixture that breaks exactly it, the example workspace, and all findings at once.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { check, checkWorkspace, type CheckFinding } from '../../tools/homelab/src/core/commands/check.ts';
import { HomelabError } from '../../tools/homelab/src/core/model/errors.ts';
import { normalizeLayout } from '../../tools/homelab/src/core/workspace/layout.ts';
import { fixtureWorkspace, repoRoot } from './workspaces.ts';

async function findingsOf(...overlays: string[]): Promise<Pick<CheckFinding, 'rule' | 'message'>[]> {
  const root = await fixtureWorkspace(...overlays);
  const report = await checkWorkspace(root, { layout: normalizeLayout(root) });
  return report.findings.map(({ rule, message }) => ({ rule, message }));
}

const APP = 'clusters/home/apps/arr.yaml: Application arr';

/** Each fixture breaks one rule; the message is what a user must be told (file, object, what is wrong). */
const cases: Record<string, Pick<CheckFinding, 'rule' | 'message'>> = {
  undeployed: { rule: 'deployed', message: 'charts/extra: chart extra is deployed by no Application in any cluster' },
  'marked-deployed': {
    rule: 'deployed',
    message: 'charts/tools/Chart.yaml: chart tools is annotated homelab.dev/deployed: "false", but clusters/home/apps/tools.yaml: Application tools deploys it',
  },
  'missing-value-file': { rule: 'resolve', message: `${APP}: value file values-home.yaml (charts/arr/values-home.yaml) does not exist` },
  'missing-source-path': { rule: 'paths', message: 'clusters/home/root.yaml: Application root: source path clusters/home/applications does not exist' },
  'missing-file-parameter': { rule: 'paths', message: `${APP}: helm.fileParameters config: file charts/arr/files/arr.conf does not exist` },
  'appset-generator-path': {
    rule: 'paths',
    message: 'clusters/home/apps/extras.yaml: ApplicationSet extras: git generator directories path chart/* matches no directory',
  },
  'namespace-label': { rule: 'namespace', message: `${APP}: namespace "Arr_Media" is not a valid DNS-1123 label` },
  'namespace-convention': { rule: 'namespace', message: `${APP} deploys chart arr into namespace media, not arr (namespace = chart name)` },
  // The child Application the apps chart renders is read too: its chart counts as deployed, its namespace is checked.
  'app-of-apps': {
    rule: 'namespace',
    message:
      'clusters/home/apps/apps.yaml: Application media (rendered by an app-of-apps chart) deploys chart media into namespace library, not media (namespace = chart name)',
  },
  'duplicate-release': {
    rule: 'resolve',
    message:
      'release arr in namespace arr of cluster home is deployed twice: by Application arr-copy (clusters/home/apps/arr-copy.yaml) and Application arr (clusters/home/apps/arr.yaml)',
  },
  'sync-wave': { rule: 'resolve', message: `${APP}: annotation argocd.argoproj.io/sync-wave is "ten", not an integer` },
  'tier-order': { rule: 'tiers', message: `${APP} (sync wave 10) deploys into namespace arr, which Application system creates in sync wave 30` },
  'tier-order-crd': {
    rule: 'tiers',
    message: `${APP} (sync wave 10) renders Widget (example.com), whose CustomResourceDefinition Application widgets creates in sync wave 20`,
  },
  'secrets-not-encrypted': {
    rule: 'secrets-encrypted',
    message: `secrets.yaml is not SOPS-encrypted (no sops metadata block), yet ${APP} reads it as secrets://`,
  },
  'secrets-plaintext-value': {
    rule: 'secrets-encrypted',
    message: `secrets.yaml holds plaintext values (arr.apiKeys.lidarr), yet ${APP} reads it as secrets://`,
  },
  'secret-keys': { rule: 'secret-keys', message: 'charts/arr/templates/webhook.yaml reads .Values.arr.webhookToken, which secrets.yaml does not have' },
};

describe('check on broken fixtures', () => {
  it('passes the fixture base: library chart, a chart marked not deployed, secrets slot, ordered tiers', async () => {
    expect(await findingsOf()).toEqual([]);
  });

  it('accepts a namespace other than the chart name when the Application confirms it', async () => {
    expect(await findingsOf('namespace-confirmed')).toEqual([]);
  });

  it('reads the annotations of the Applications an app-of-apps chart renders', async () => {
    const root = await fixtureWorkspace('app-of-apps');
    const child = path.join(root, 'charts/apps/templates/media.yaml');
    await writeFile(child, (await readFile(child, 'utf8')).replace('sync-wave: "20"', 'sync-wave: "20"\n    homelab.dev/namespace: library'));
    expect((await checkWorkspace(root, { layout: normalizeLayout(root) })).findings).toEqual([]);
  });

  for (const [fixture, finding] of Object.entries(cases)) {
    it(`${fixture}: exactly one ${finding.rule} finding`, async () => {
      expect(await findingsOf(fixture)).toEqual([finding]);
    });
  }

  it('reports every finding of a workspace broken in several places, not only the first', async () => {
    const findings = await findingsOf('undeployed', 'missing-source-path', 'appset-generator-path', 'sync-wave', 'marked-deployed', 'secret-keys');
    expect(findings).toEqual(
      expect.arrayContaining(['undeployed', 'missing-source-path', 'appset-generator-path', 'sync-wave', 'marked-deployed'].map((f) => cases[f])),
    );
    // arr does not resolve (its sync wave), so what its templates read is not checked against its secrets.
    expect(findings).toHaveLength(5);
  });

  it('prints one line per finding with its hint and fails', async () => {
    const root = await fixtureWorkspace('namespace-convention');
    let printed = '';
    const run = check(root, { layout: normalizeLayout(root) }, (text) => (printed += text));
    await expect(run).rejects.toThrow(HomelabError);
    await expect(run).rejects.toThrow('check found 1 problem in the wiring of charts and clusters');
    expect(printed).toBe(
      'home: sync waves -1 system | 10 arr\n' +
        `[namespace] ${cases['namespace-convention'].message} — set spec.destination.namespace: arr, ` +
        'or confirm the exception with the Application annotation homelab.dev/namespace: "media"\n',
    );
  });
});

describe('check on the example workspace', () => {
  it('finds nothing and prints the tiers ArgoCD syncs', async () => {
    let printed = '';
    const report = await check(repoRoot, {}, (text) => (printed += text));
    expect(report.findings).toEqual([]);
    expect(report.tiers).toEqual([
      'home: sync waves -10 argocd | -1 system | 0 cert-manager, networking | 10 gitops, monitoring | 20 arr, jellyfin, whoami',
      'lab: sync waves -10 argocd | -1 system | 0 networking | 10 monitoring',
    ]);
    expect(printed).toContain('check: charts and clusters are wired correctly\n');
  });
});

// lint: helm lint --strict with each release's ArgoCD values, keyless secrets, its namespace and Kubernetes version.
import { describe, expect, it } from 'vitest';
import { lint } from '../../tools/homelab/src/core/commands/lint.ts';
import { normalizeLayout } from '../../tools/homelab/src/core/workspace/layout.ts';
import { openWorkspace } from '../../tools/homelab/src/core/resolve/workspace.ts';
import { fixtureWorkspace, repoRoot } from './workspaces.ts';

async function lintFixture(target: string, ...overlays: string[]): Promise<{ printed: string; error?: Error }> {
  const root = await fixtureWorkspace(...overlays);
  const ws = await openWorkspace(root, normalizeLayout(root));
  let printed = '';
  try {
    await lint(ws, { target }, (text) => (printed += text));
    return { printed };
  } catch (error) {
    return { printed, error: error as Error };
  }
}

describe('lint on fixtures', () => {
  it('passes a release whose secrets file is read keyless (no age key anywhere in the temp workspace)', async () => {
    const { printed, error } = await lintFixture('arr');
    expect(error).toBeUndefined();
    expect(printed).toContain('# helm lint release home/arr (namespace arr)\n==> Linting charts/arr\n');
    expect(printed).toContain('1 chart(s) linted, 0 chart(s) failed');
  });

  it("fails on a template that breaks only with the cluster's value file (value files in ArgoCD order)", async () => {
    const { printed, error } = await lintFixture('arr', 'lint-values');
    expect(error?.message).toBe('helm lint --strict failed for home/arr');
    expect(printed).toMatch(/^\[ERROR\] templates\/extra\.yaml: unable to parse YAML: .*did not find expected key$/m);
  });

  it('lints for the Kubernetes version the cluster declares', async () => {
    const current = await lintFixture('arr', 'lint-kube-version');
    expect(current.error?.message).toBe('helm lint --strict failed for home/arr');
    expect(current.printed).toContain('[WARNING] templates/flowschema.yaml: flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema is deprecated in v1.29+');
    // helm's own default version would warn as well: only a cluster declaring 1.28 makes the same chart pass.
    const old = await lintFixture('arr', 'lint-kube-version', 'lint-old-cluster');
    expect(old.error).toBeUndefined();
  });

  it('lints a library chart on its own', async () => {
    const { printed, error } = await lintFixture('common');
    expect(error).toBeUndefined();
    expect(printed).toContain('# helm lint library chart common, on its own\n==> Linting charts/common\n');
  });
});

describe('lint on the example workspace', () => {
  it('passes every chart, the common library on its own', async () => {
    const ws = await openWorkspace(repoRoot);
    const linted: string[] = [];
    for (const chart of ws.resolution.charts) {
      const results = await lint(ws, { target: chart.name }, () => {});
      linted.push(...results.map((r) => r.subject));
    }
    expect(linted.sort()).toEqual([
      'charts/common',
      'home/arr',
      'home/gitops',
      'home/jellyfin',
      'home/monitoring',
      'home/networking',
      'home/system',
      'lab/monitoring',
      'lab/networking',
      'lab/system',
    ]);
  });
});

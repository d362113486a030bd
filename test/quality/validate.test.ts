// validate: keyless renders checked offline; one line per finding (release resource path: message).
import { describe, expect, it } from 'vitest';
import { validate } from '../../tools/homelab/src/core/commands/validate.ts';
import { normalizeLayout } from '../../tools/homelab/src/core/workspace/layout.ts';
import { openWorkspace } from '../../tools/homelab/src/core/resolve/workspace.ts';
import { fixtureWorkspace, repoRoot } from './workspaces.ts';

async function validateFixture(...overlays: string[]): Promise<{ printed: string; error?: Error }> {
  const root = await fixtureWorkspace(...overlays);
  const ws = await openWorkspace(root, normalizeLayout(root));
  let printed = '';
  try {
    await validate(ws, { target: 'arr' }, (text) => (printed += text));
    return { printed };
  } catch (error) {
    return { printed, error: error as Error };
  }
}

describe('validate on fixtures', () => {
  it('passes the valid render', async () => {
    expect(await validateFixture()).toEqual({ printed: 'home/arr: valid for Kubernetes 1.33.0\n' });
  });

  it("reports a field the cluster's value file gives the wrong type", async () => {
    const { printed, error } = await validateFixture('validate-schema');
    expect(printed).toBe('home/arr Deployment/arr spec.replicas: must be integer, got string "two"\n');
    expect(error?.message).toBe('validate found 1 error in arr');
  });

  it('reports a kind no schema and no declared CRD describes', async () => {
    const { printed, error } = await validateFixture('validate-unknown-kind');
    expect(printed).toMatch(/^home\/arr Widget\/arr kind: unknown kind Widget in example\.com\/v1: no Kubernetes schema and no CRD describes it/);
    expect(error).toBeDefined();
  });

  it('checks a custom resource against the CRD declared in clusters/<cluster>/crds/', async () => {
    const { printed, error } = await validateFixture('validate-crd');
    expect(printed).toBe('home/arr Widget/arr spec.size: must be integer, got string "big"\n');
    expect(error).toBeDefined();
  });
});

describe('validate on the example workspace', () => {
  it('passes every release of every chart', async () => {
    const ws = await openWorkspace(repoRoot);
    const lines: string[] = [];
    for (const chart of ws.resolution.charts.filter((c) => c.type === 'application')) {
      await validate(ws, { target: chart.name }, (text) => lines.push(text));
    }
    expect(lines.sort()).toEqual(
      [
        ...['arr', 'gitops', 'jellyfin', 'monitoring', 'networking', 'system'].map((name) => `home/${name}`),
        ...['monitoring', 'networking', 'system'].map((name) => `lab/${name}`),
      ].map((release) => `${release}: valid for Kubernetes 1.33.0\n`),
    );
  });
});

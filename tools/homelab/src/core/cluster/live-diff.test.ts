import { describe, expect, it } from 'vitest';
import { HomelabError } from '../model/errors.ts';
import { diffObjects, kubectlObjects, namespaceGroups } from './live-diff.ts';
import { createMasker } from '../exec/mask.ts';

const masker = createMasker({ secrets: ['s3cret-token-value-0123'], key: Buffer.alloc(32, 7) });

describe('namespaceGroups', () => {
  it('groups objects by their own namespace, the release namespace for the rest (first), and drops empty groups', () => {
    const manifest = [
      '# Source: x/a.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: repo\n  namespace: argocd\n',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n',
      'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\n',
      'apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: job\n  namespace: apps\n',
    ].join('---\n');
    expect(namespaceGroups(manifest, 'apps').map((g) => [g.namespace, g.manifest.split('---\n').map((d) => /name: (\S+)/.exec(d)?.[1])])).toEqual([
      ['apps', ['cm', 'reader', 'job']],
      ['argocd', ['repo']],
    ]);
    expect(namespaceGroups('', 'apps')).toEqual([]);
  });
});

describe('kubectlObjects', () => {
  it('reads one object or a List; output that is not JSON is one line, exit code 2', () => {
    expect(kubectlObjects('{"kind":"List","items":[{"kind":"A"},{"kind":"B"}]}', 'get')).toEqual([{ kind: 'A' }, { kind: 'B' }]);
    expect(kubectlObjects('{"kind":"ConfigMap"}', 'get')).toEqual([{ kind: 'ConfigMap' }]);
    expect(kubectlObjects('', 'get')).toEqual([]);
    const error = (() => {
      try {
        kubectlObjects('Error from server', 'the dry run for home/demo');
      } catch (e) {
        return e as HomelabError;
      }
    })();
    expect(error).toBeInstanceOf(HomelabError);
    expect(error!.exitCode).toBe(2);
    expect(error!.line()).toBe(
      'kubectl answered the dry run for home/demo with output that is not JSON — check that kubectl works against this cluster (kubectl get --raw /version)',
    );
  });
});

describe('diffObjects', () => {
  const cm = (data: Record<string, string>, meta: Record<string, unknown> = {}) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cm', namespace: 'apps', uid: 'u1', ...meta },
    data,
  });

  it('ignores managedFields, resourceVersion and generation; shows a change as kubectl diff would, masked', () => {
    const live = cm({ a: '1', token: 's3cret-token-value-0123' }, { resourceVersion: '5', generation: 1, managedFields: [{ manager: 'helm' }] });
    const same = cm({ a: '1', token: 's3cret-token-value-0123' }, { resourceVersion: '6', generation: 2, managedFields: [{ manager: 'kubectl' }] });
    expect(diffObjects([live], [same], masker)).toEqual([]);
    const [changed] = diffObjects([live], [cm({ a: '2', token: 's3cret-token-value-0123' })], masker);
    expect(changed.name).toBe('v1.ConfigMap.apps.cm');
    expect(changed.diff).toMatch(
      /^diff -u -N LIVE\/v1\.ConfigMap\.apps\.cm MERGED\/v1\.ConfigMap\.apps\.cm\n--- LIVE\/v1\.ConfigMap\.apps\.cm\n\+\+\+ MERGED\/v1\.ConfigMap\.apps\.cm\n@@ -1,6 \+1,6 @@\n apiVersion: v1\n data:\n-  a: "1"\n\+  a: "2"\n {3}token: REDACTED[0-9a-f]{8}\n/,
    );
  });

  it('a new object is all additions; a cluster-scoped one has an empty namespace in its name; objects come in name order', () => {
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps' } };
    const diffs = diffObjects([], [cm({ a: '1' }), ns], masker);
    expect(diffs.map((d) => d.name)).toEqual(['v1.ConfigMap.apps.cm', 'v1.Namespace..apps']);
    expect(diffs[1].diff).toBe(
      'diff -u -N LIVE/v1.Namespace..apps MERGED/v1.Namespace..apps\n--- LIVE/v1.Namespace..apps\n+++ MERGED/v1.Namespace..apps\n@@ -0,0 +1,4 @@\n+apiVersion: v1\n+kind: Namespace\n+metadata:\n+  name: apps\n',
    );
  });

  it('a Secret value that changed shows as two different markers, neither value', () => {
    const secret = (password: string) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'apps' },
      data: { password: Buffer.from(password).toString('base64') },
    });
    const [changed] = diffObjects([secret('old-password')], [secret('new-password')], masker);
    const lines = changed.diff.split('\n').filter((l) => /^[-+] /.test(l));
    expect(lines).toEqual([expect.stringMatching(/^- {2}password: REDACTED[0-9a-f]{8}$/), expect.stringMatching(/^\+ {2}password: REDACTED[0-9a-f]{8}$/)]);
    expect(lines[0].slice(1)).not.toBe(lines[1].slice(1));
    for (const value of ['old-password', 'new-password']) {
      expect(changed.diff).not.toContain(value);
      expect(changed.diff).not.toContain(Buffer.from(value).toString('base64'));
    }
  });
});

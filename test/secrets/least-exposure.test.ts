// Least exposure: a release receives only its own chart's key of the shared secrets.yaml, so helm never sees, and
// an install never stores in the Helm release record, another chart's secrets.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { install } from '../../tools/homelab/src/core/commands/install.ts';
import { extractBundledHelm, withVersion, type Helm } from '../../tools/homelab/src/core/helm/helm.ts';
import { decodeRelease } from '../../tools/homelab/src/core/cluster/keep-data.ts';
import { decryptFile } from '../../tools/homelab/src/core/secrets/index.ts';
import { openWorkspace } from '../../tools/homelab/src/core/resolve/workspace.ts';
import { writeClusterWorkspace } from '../helpers/cluster-workspace.ts';
import { startFakeApiServer, type FakeApiServer } from '../helpers/fake-apiserver.ts';
import { writeKubeconfig } from '../helpers/kubeconfig.ts';
import { childEnv, repoRoot } from '../support/workspace.ts';

let helm4: Helm;
let scratch: string;

beforeAll(async () => {
  helm4 = await withVersion(await extractBundledHelm(), 'bundled');
  scratch = mkdtempSync(path.join(tmpdir(), 'least-exposure-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Every leaf of a value, as text. */
function leaves(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(leaves);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(leaves);
  return value === null || value === undefined ? [] : [String(value)];
}

describe('a release receives only its chart key of secrets.yaml', () => {
  it('hack/template monitoring: what helm reads on stdin has the top-level key monitoring only', async () => {
    // A helm that writes down the top-level keys (never the values) of what it reads on stdin, then renders.
    const record = path.join(scratch, 'keys');
    const shim = path.join(scratch, 'helm');
    writeFileSync(
      shim,
      [
        '#!/bin/bash',
        'if [ "$1" = template ]; then',
        '  values=$(cat)',
        `  printf '%s\\n' "$values" | grep -oE '^[^ #-][^:]*:' | tr -d ':' | sort | tr '\\n' ' ' > "$RECORD"`,
        `  printf '%s\\n' "$values" | exec ${JSON.stringify(helm4.bin)} "$@"`,
        'fi',
        `exec ${JSON.stringify(helm4.bin)} "$@"`,
        '',
      ].join('\n'),
    );
    chmodSync(shim, 0o755);
    const result = await execa(path.join(repoRoot, 'hack', 'template'), ['monitoring'], {
      cwd: repoRoot,
      env: childEnv({ HELM_BIN: shim, RECORD: record }),
      reject: false,
      stdin: 'ignore',
    });
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stdout)).toContain('kind: Deployment');
    expect(readFileSync(record, 'utf8')).toBe('monitoring ');
  });

  it('install: the Helm release record holds the chart key of the release, no other chart secret', async () => {
    const api: FakeApiServer = await startFakeApiServer();
    try {
      const root = await writeClusterWorkspace(api.url);
      const kubeconfig = await writeKubeconfig([{ name: 'home', server: api.url }]);
      await install({ ...(await openWorkspace(root)), helm: helm4 }, { target: 'demo', kubeconfig }, () => {});
      const [record] = [...api.objects.entries()]
        .filter(([key]) => key.startsWith('apps/secrets/sh.helm.release.v1.demo.'))
        .map(([, secret]) => decodeRelease(Buffer.from((secret.data as { release: string }).release, 'base64').toString()));
      expect(Object.keys(record.config as object).sort()).toEqual(['demo', 'greeting']);
      const data = (await decryptFile(path.join(root, 'secrets.yaml'), { workspaceRoot: repoRoot })).data as Record<string, unknown>;
      const own = new Set(leaves(data.demo));
      // Long values only: a short one ("true", a port) may be in the record for other reasons.
      const others = Object.entries(data)
        .filter(([chart]) => chart !== 'demo')
        .flatMap(([, slot]) => leaves(slot))
        .filter((value) => value.length >= 8 && !own.has(value));
      expect(others.length).toBeGreaterThan(0);
      const stored = JSON.stringify(record);
      expect(others.filter((value) => stored.includes(value))).toEqual([]);
    } finally {
      await api.close();
    }
  });
});

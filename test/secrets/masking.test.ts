// The masker end to end on the example homelab, with real helm and the real SOPS layer (demo key): a short or
// name-like secret (`admin`, then `monitoring`, set with the built-in encryptor) leaves every name, namespace and
// label of the render as helm printed it, and helm's own dry-run report, streamed line by line, prints no Secret
// data, not even the base64 of `user:password` that contains a secret at an odd byte offset.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeApiServer, type FakeApiServer } from '../helpers/fake-apiserver.ts';
import { writeKubeconfig } from '../helpers/kubeconfig.ts';
import { repoRoot } from '../support/workspace.ts';
import { install } from '../../tools/homelab/src/core/commands/install.ts';
import { template } from '../../tools/homelab/src/core/commands/template.ts';
import { decryptFile, editFile } from '../../tools/homelab/src/core/secrets/index.ts';
import { openWorkspace } from '../../tools/homelab/src/core/resolve/workspace.ts';

let root: string;
let api: FakeApiServer;

/** A Secret whose value is the base64 of `user:password`, as basic auth is stored. */
const BASIC_AUTH = `apiVersion: v1
kind: Secret
metadata:
  name: smtp-basic-auth
  namespace: {{ .Release.Namespace }}
type: Opaque
data:
  auth: {{ printf "%s:%s" .Values.monitoring.alertmanager.smtp.username .Values.monitoring.alertmanager.smtp.password | b64enc }}
`;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'homelab-masking-'));
  for (const entry of ['charts', 'clusters', 'nx.json', 'secrets.yaml', '.sops.yaml', 'demo-age-key.txt']) {
    cpSync(path.join(repoRoot, entry), path.join(root, entry), { recursive: true });
  }
  writeFileSync(path.join(root, 'charts/monitoring/templates/zz-basic-auth.yaml'), BASIC_AUTH);
  api = await startFakeApiServer();
  const cluster = path.join(root, 'clusters/home/cluster.yaml');
  writeFileSync(cluster, readFileSync(cluster, 'utf8').replace(/^server: .*$/m, `server: ${api.url}`));
});
afterAll(() => {
  api?.close();
  rmSync(root, { recursive: true, force: true });
});

async function setAdminUser(value: string): Promise<void> {
  await editFile(path.join(root, 'secrets.yaml'), (doc) => doc.set(['monitoring', 'grafana', 'adminUser'], value), { workspaceRoot: root, env: {} });
}

async function render(reveal: boolean): Promise<string> {
  const chunks: string[] = [];
  await template(await openWorkspace(root), { target: 'monitoring', reveal }, (text) => chunks.push(text));
  return chunks.join('');
}

describe('masking the example homelab', () => {
  for (const user of ['admin', 'monitoring']) {
    it(`adminUser "${user}": only Secret data and long secrets differ from helm's render`, async () => {
      await setAdminUser(user);
      const leaves = (await decryptFile(path.join(root, 'secrets.yaml'), { workspaceRoot: root, env: {} })).leaves;
      expect(leaves).toContain(user);
      const longSecrets = leaves.filter((leaf) => leaf.length >= 16);
      const raw = (await render(true)).split('\n');
      const masked = (await render(false)).split('\n');
      expect(masked).toHaveLength(raw.length);
      const changed = masked.flatMap((line, i) => (line === raw[i] ? [] : [{ line, raw: raw[i] }]));
      expect(changed.length).toBeGreaterThan(0);
      for (const { line, raw: before } of changed) {
        const dataEntry = /^ {2}"?[\w.-]+"?: REDACTED[0-9a-f]{8}$/.test(line);
        expect(dataEntry || longSecrets.some((secret) => before.includes(secret)), `${line}`).toBe(true);
      }
      const count = (lines: string[], text: string) => lines.filter((line) => line.includes(text)).length;
      for (const structure of ['name: grafana-admin', 'namespace: monitoring', 'app.kubernetes.io/instance: monitoring']) {
        expect(count(raw, structure), structure).toBeGreaterThan(0);
        expect(count(masked, structure), structure).toBe(count(raw, structure));
      }
    });
  }

  it('helm --dry-run=client streamed through the masker: readable report, Secret data masked, no base64 of user:password', async () => {
    await setAdminUser('monitoring');
    const secrets = (await decryptFile(path.join(root, 'secrets.yaml'), { workspaceRoot: root, env: {} })).data as {
      monitoring: { alertmanager: { smtp: { username: string; password: string } } };
    };
    const { username, password } = secrets.monitoring.alertmanager.smtp;
    const basicAuth = Buffer.from(`${username}:${password}`).toString('base64');
    const kubeconfig = await writeKubeconfig([{ name: 'home', server: api.url }]);
    const chunks: string[] = [];
    await install(await openWorkspace(root), { target: 'monitoring', cluster: 'home', kubeconfig, helmDryRun: 'client' }, (text) => chunks.push(text));
    const text = chunks.join('');
    expect(text).toContain('helm | MANIFEST:');
    expect(text).toMatch(/helm \| NAME: monitoring\n/);
    expect(text).toMatch(/helm \| NAMESPACE: monitoring\n/);
    expect(text).toMatch(/helm \| {3}name: grafana-admin\n/);
    expect(text).toMatch(/helm \| {3}auth: REDACTED[0-9a-f]{8}\n/);
    expect(text).not.toContain(basicAuth.slice(0, 24));
    expect(text).not.toContain(basicAuth.slice(-24));
    expect(text).not.toContain(password);
  });
});

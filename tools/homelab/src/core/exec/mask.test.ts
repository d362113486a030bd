import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { createMasker } from './mask.ts';

const key = Buffer.from('test-mask-key');
const MARKER = /REDACTED[0-9a-f]{8}/g;
const render = `---
# Source: demo/templates/cm.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data:
  url: "postgres://app:Hunter2-secret!@db:5432/app"
  encoded: SHVudGVyMi1zZWNyZXQh
  port: "5432"
---
# Source: demo/templates/secret.yaml
apiVersion: v1
kind: Secret
metadata:
  name: creds
type: Opaque
stringData:
  password: "not-from-sops"
  config: |
    user: admin
    pass: block-scalar-value
data:
  token: dG9rZW4tdmFsdWU=
`;

/** Masks `text` as a streamed tool output is masked: line by line, through one reader. */
function streamed(masker: ReturnType<typeof createMasker>, text: string): string {
  const line = masker.lines();
  return text.split('\n').map(line).join('\n');
}

describe('createMasker', () => {
  const masker = createMasker({ secrets: ['Hunter2-secret!', 'true', '80'], key });
  const masked = masker.mask(render);

  it('replaces every Secret data/stringData value, keeping the document valid YAML', () => {
    const secret = parseAllDocuments(masked)[1].toJS();
    for (const value of [...Object.values(secret.stringData), ...Object.values(secret.data)]) {
      expect(value).toMatch(/^REDACTED[0-9a-f]{8}$/);
    }
    expect(masked).not.toContain('not-from-sops');
    expect(masked).not.toContain('block-scalar-value');
    expect(masked).not.toContain('dG9rZW4tdmFsdWU=');
    expect(secret.metadata.name).toBe('creds');
  });

  it('masks decrypted values and their base64 form anywhere else', () => {
    expect(masked).not.toContain('Hunter2-secret!');
    expect(masked).not.toContain(Buffer.from('Hunter2-secret!').toString('base64'));
    expect(masked).toContain('postgres://app:REDACTED');
  });

  it('leaves short generic values and non-secret bytes untouched', () => {
    expect(masked).toContain('port: "5432"');
    const configMapBefore = render.split('---\n# Source: demo/templates/secret.yaml')[0].replace(/Hunter2-secret!|SHVudGVyMi1zZWNyZXQh/g, '');
    const configMapAfter = masked.split('---\n# Source: demo/templates/secret.yaml')[0].replace(MARKER, '');
    expect(configMapAfter).toBe(configMapBefore);
  });

  it('gives stable markers per value and key, different ones for different values', () => {
    expect(createMasker({ secrets: ['Hunter2-secret!'], key }).mask(render)).toBe(masked);
    const other = createMasker({ secrets: ['Hunter2-secret!'], key }).mask(render.replace('not-from-sops', 'changed-value'));
    expect(other).not.toBe(masked);
    const otherKey = createMasker({ secrets: ['Hunter2-secret!'], key: Buffer.from('another') }).mask(render);
    expect(otherKey).not.toBe(masked);
  });
});

/** A chart whose secret values are a short word and the release's own name. */
const grafana = (user: string) => `---
# Source: monitoring/templates/grafana.yaml
apiVersion: v1
kind: Secret
metadata:
  name: grafana-admin
  namespace: monitoring
  labels:
    app.kubernetes.io/instance: monitoring
type: Opaque
stringData:
  GF_SECURITY_ADMIN_USER: ${user}
---
# Source: monitoring/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: grafana
  namespace: monitoring
  labels:
    app.kubernetes.io/instance: monitoring
spec:
  template:
    spec:
      containers:
        - name: grafana
          envFrom:
            - secretRef:
                name: grafana-admin
`;

describe('no false positives: short or name-like secrets touch only Secret data', () => {
  for (const user of ['admin', 'monitoring']) {
    it(`${user}: names, namespaces, labels and secretRefs stay as rendered`, () => {
      const text = grafana(user);
      const masker = createMasker({ secrets: [user], key });
      const masked = masker.mask(text);
      const expected = text.replace(`GF_SECURITY_ADMIN_USER: ${user}`, 'GF_SECURITY_ADMIN_USER: MARKER');
      expect(masked.replace(MARKER, 'MARKER')).toBe(expected);
      expect(streamed(masker, text).replace(MARKER, 'MARKER')).toBe(expected);
    });
  }

  it("helm's own lines naming the release stay readable", () => {
    const masker = createMasker({ secrets: ['monitoring', 'admin'], key });
    const report = 'Release "monitoring" has been upgraded. Happy Helming!\nNAME: monitoring\nNAMESPACE: monitoring\nSTATUS: deployed\n';
    expect(masker.mask(report)).toBe(report);
    expect(streamed(masker, report)).toBe(report);
  });

  // Whether a secret value is also masked outside Secret data, by its shape.
  const shapes: [string, boolean][] = [
    ['admin', false],
    ['monitoring', false],
    ['grafana-admin', false],
    ['prometheus.svc', false],
    ['node-exporter-v2', true], // 16 characters: long enough
    ['deadbeef', false],
    ['0000000000000000', false], // too few distinct characters to mean anything
    ['Hunter2!', true],
    ['S3cretPass', true],
    ['12345678', true],
    ['a3f9c0de12', true],
    ['kQ7vXzLmPwRtYbNc', true],
    ['smtp.mail.example.org', true],
  ];
  for (const [value, anywhere] of shapes) {
    it(`"${value}" is masked outside Secret data: ${anywhere}`, () => {
      const text = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  value: "${value}"\n`;
      const masked = createMasker({ secrets: [value], key }).mask(text);
      expect(masked.includes(value)).toBe(!anywhere);
    });
  }

  it('the marker of a short value in Secret data equals no other marker: a visible constant cannot reveal it', () => {
    const text = [
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: grafana-admin\nstringData:\n  user: admin\n',
      '---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: chart-constant\nstringData:\n  role: admin\n',
    ].join('');
    const markers = createMasker({ secrets: ['admin'], key })
      .mask(text)
      .match(MARKER);
    expect(markers).toHaveLength(2);
    expect(markers![0]).not.toBe(markers![1]);
    expect(
      createMasker({ secrets: ['admin'], key })
        .mask(text)
        .match(MARKER),
    ).toEqual(markers);
  });
});

describe('no misses: Secret data whatever the text around it, long values in every form', () => {
  const token = 'ghp_Demo0Token>Value&1234567890/+x';
  const masker = createMasker({ secrets: [token, 'git'], key });
  const basicAuth = Buffer.from(`git:${token}`).toString('base64');

  const dryRun = `Release "demo" has been upgraded. Happy Helming!
NAME: demo
LAST DEPLOYED: Fri Dec  4 10:00:00 2026
NAMESPACE: apps
STATUS: pending-upgrade
REVISION: 2
TEST SUITE: None
HOOKS:
---
# Source: demo/templates/hook.yaml
apiVersion: v1
kind: Secret
metadata:
  name: hook-auth
  annotations:
    helm.sh/hook: pre-install
data:
  auth: ${basicAuth}
MANIFEST:
---
# Source: demo/templates/secret.yaml
apiVersion: v1
kind: Secret
metadata:
  name: repo-auth
type: Opaque
data:
  auth: ${basicAuth}
  username: Z2l0
stringData:
  config: |
    [auth]
    user = git
---
# Source: demo/templates/cm.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: demo-config
data:
  greeting: "hello"

NOTES:
Installed.
`;

  it("helm's dry-run report (NAME:, HOOKS:, MANIFEST:, NOTES:), whole or streamed line by line", () => {
    for (const masked of [masker.mask(dryRun), streamed(masker, dryRun)]) {
      expect(masked).not.toContain(basicAuth);
      expect(masked).not.toContain('Z2l0');
      expect(masked).not.toContain('user = git');
      expect(masked).toMatch(/^ {2}auth: REDACTED[0-9a-f]{8}$/m);
      expect(masked).toContain('  greeting: "hello"');
      expect(masked).toContain('  name: repo-auth\n');
      expect(masked).toContain('Release "demo" has been upgraded. Happy Helming!\nNAME: demo\n');
    }
  });

  it('a diff of a Secret (kubectl diff, hunks without the data: line), and of a ConfigMap left readable', () => {
    const diff = [
      'diff -u -N /tmp/LIVE-1/v1.Secret.apps.repo-auth /tmp/MERGED-2/v1.Secret.apps.repo-auth',
      '--- /tmp/LIVE-1/v1.Secret.apps.repo-auth\t2026-12-04 10:00:00',
      '+++ /tmp/MERGED-2/v1.Secret.apps.repo-auth\t2026-12-04 10:00:00',
      '@@ -1,6 +1,6 @@',
      ' apiVersion: v1',
      ' data:',
      '-  auth: Z2l0OmFkbWlu',
      `+  auth: ${basicAuth}`,
      ' kind: Secret',
      ' metadata:',
      '@@ -20,3 +20,3 @@',
      '-  username: Z2l0',
      '+  username: YWRtaW4=',
      'diff -u -N /tmp/LIVE-1/v1.ConfigMap.apps.demo-config /tmp/MERGED-2/v1.ConfigMap.apps.demo-config',
      '@@ -1,4 +1,4 @@',
      ' apiVersion: v1',
      ' data:',
      '-  greeting: edited-by-hand',
      '+  greeting: hello',
      ' kind: ConfigMap',
      '',
    ].join('\n');
    for (const masked of [masker.mask(diff), streamed(masker, diff)]) {
      expect(masked).not.toMatch(/Z2l0|YWRtaW4=|OmFkbWlu/);
      expect(masked).not.toContain(basicAuth);
      expect(masked).toMatch(/^\+ {2}auth: REDACTED[0-9a-f]{8}$/m);
      expect(masked).toContain('-  greeting: edited-by-hand\n+  greeting: hello\n');
    }
  });

  it('Secrets in JSON (one line, pretty, a List, escaped in last-applied-configuration) and in a YAML List', () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { user: 'Z2l0' }, stringData: { role: 'admin' } };
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { user: 'visible' } };
    const list = { apiVersion: 'v1', kind: 'List', items: [configMap, secret] };
    const annotated = { ...secret, metadata: { name: 's', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(secret) } } };
    const yamlList = 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: s\n  data:\n    user: Z2l0\n';
    const oddKeys = '{"kind": "Secret", "data": {"bad key": "Z2l0", "x": "Z2l0,Z2l0"}, stringData: {\'a\': \'admin, admin\'}}';
    const texts = [JSON.stringify(secret), JSON.stringify(list, null, 2), JSON.stringify(annotated, null, 4), yamlList, oddKeys];
    for (const text of texts) {
      for (const masked of [masker.mask(text), streamed(masker, text)]) {
        expect(masked, text).not.toContain('Z2l0');
        expect(masked, text).not.toMatch(/admin/);
        expect(masked, text).toMatch(MARKER);
      }
    }
    expect(JSON.parse(masker.mask(JSON.stringify(list, null, 2))).items[0].data.user).toBe('visible');
    expect(JSON.parse(masker.mask(JSON.stringify(secret))).data.user).toMatch(/^REDACTED[0-9a-f]{8}$/);
  });

  it("a Secret nested in another Secret's data is masked whole with it; every key of a large Secret is masked", () => {
    const nested =
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: outer\nstringData:\n  inner:\n    kind: Secret\n    data:\n      token: dG9rZW4tdmFsdWUgdGhhdCBpcyBsb25nZXI=\n  plain: visible-text\n';
    const outer = parseAllDocuments(masker.mask(nested))[0].toJS();
    expect(outer.stringData.inner).toMatch(/^REDACTED[0-9a-f]{8}$/);
    expect(outer.stringData.plain).toMatch(/^REDACTED[0-9a-f]{8}$/);
    const keys = Array.from({ length: 2000 }, (_, i) => `key${i}`);
    const large = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: large\ndata:\n${keys.map((k) => `  ${k}: ${Buffer.from(`value of ${k}`).toString('base64')}\n`).join('')}`;
    const data = parseAllDocuments(masker.mask(large))[0].toJS().data;
    expect(Object.keys(data)).toEqual(keys);
    for (const k of keys) expect(data[k]).toMatch(/^REDACTED[0-9a-f]{8}$/);
  });

  it('a long secret in base64 inside a longer base64 (each byte alignment), base64url, URL-encoded and JSON-escaped', () => {
    const bytes = Buffer.from(token);
    expect(bytes.toString('base64url')).not.toBe(bytes.toString('base64').replace(/=+$/, ''));
    const forms = [
      ...['', 'u', 'u:'].map((prefix) => Buffer.from(`${prefix}${token}@host`).toString('base64')),
      ...['', 'u', 'u:'].map((prefix) => Buffer.from(`${prefix}${token}`).toString('base64url')),
      encodeURIComponent(token),
      encodeURIComponent(token).replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()),
      JSON.stringify(token).slice(1, -1),
      JSON.stringify(token)
        .slice(1, -1)
        .replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
      JSON.stringify(JSON.stringify({ token })).slice(1, -1),
    ];
    for (const form of forms) {
      const text = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  value: "x=${form}"\n`;
      const masked = masker.mask(text);
      expect(masked, form).not.toContain(form);
      expect(masked, form).not.toMatch(/Demo0Token/);
      expect(masked, form).toMatch(MARKER);
    }
  });

  it('a multi-line secret (a PEM key) streamed line by line', () => {
    const pem =
      '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\nq1w2e3r4t5y6u7i8o9p0aSdFgHjKlZxCvBnM\n-----END PRIVATE KEY-----';
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  key.pem: |\n${pem
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n')}\n`;
    const masked = streamed(createMasker({ secrets: [pem], key }), text);
    expect(masked).not.toContain('MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7');
    expect(masked).not.toContain('q1w2e3r4t5y6u7i8o9p0aSdFgHjKlZxCvBnM');
  });
});

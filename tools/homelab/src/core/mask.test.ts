import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { createMasker } from './mask.ts';

const key = Buffer.from('test-mask-key');
const render = `---
# Source: demo/templates/cm.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data:
  url: "postgres://app:hunter2-secret@db:5432/app"
  encoded: aHVudGVyMi1zZWNyZXQ=
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

describe('createMasker', () => {
  const masker = createMasker({ secrets: ['hunter2-secret', 'true', '80'], key });
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
    expect(masked).not.toContain('hunter2-secret');
    expect(masked).not.toContain(Buffer.from('hunter2-secret').toString('base64'));
    expect(masked).toContain('postgres://app:REDACTED');
  });

  it('leaves short generic values and non-secret bytes untouched', () => {
    expect(masked).toContain('port: "5432"');
    const configMapBefore = render.split('---\n# Source: demo/templates/secret.yaml')[0].replace(/hunter2-secret|aHVudGVyMi1zZWNyZXQ=/g, '');
    const configMapAfter = masked.split('---\n# Source: demo/templates/secret.yaml')[0].replace(/REDACTED[0-9a-f]{8}/g, '');
    expect(configMapAfter).toBe(configMapBefore);
  });

  it('gives stable markers per value and key, different ones for different values', () => {
    expect(createMasker({ secrets: ['hunter2-secret'], key }).mask(render)).toBe(masked);
    const other = createMasker({ secrets: ['hunter2-secret'], key }).mask(render.replace('not-from-sops', 'changed-value'));
    expect(other).not.toBe(masked);
    const otherKey = createMasker({ secrets: ['hunter2-secret'], key: Buffer.from('another') }).mask(render);
    expect(otherKey).not.toBe(masked);
  });
});

/**
 * editContent: the in-memory twin of editFile (Nx generators edit through their Tree, never the disk).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptFile, encryptDocument } from './backend.ts';
import { editContent } from './builtin.ts';
import { Comment } from './tree.ts';

const tmp = mkdtempSync(join(tmpdir(), 'sops-edit-content-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let opts: { workspaceRoot: string; env: NodeJS.ProcessEnv };
let encrypted: string;
beforeAll(async () => {
  const id = await generateX25519Identity();
  opts = { workspaceRoot: tmp, env: { HOME: tmp, SOPS_AGE_KEY: id } };
  encrypted = await encryptDocument('# top comment\napp:\n    token: abc # inline\nother: 1\n', {
    format: 'yaml',
    recipients: [await identityToRecipient(id)],
  });
});

describe('editContent', () => {
  it('adds a key with a comment, keeps every other line byte-identical, and writes nothing', async () => {
    const file = join(tmp, 'secrets.yaml');
    writeFileSync(file, encrypted);
    const result = await editContent(
      file,
      Buffer.from(encrypted),
      (doc) => {
        doc.documents[0].items.push(new Comment(' added'));
        doc.set(['svc', 'env', 'KEY'], 'placeholder');
      },
      opts,
    );
    expect(result.changed).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(encrypted);
    const before = encrypted.split('\n');
    const after = result.content.split('\n');
    // Everything above the sops block is unchanged (same IVs), then the new comment and key follow.
    const sopsAt = before.indexOf('sops:');
    expect(after.slice(0, sopsAt)).toEqual(before.slice(0, sopsAt));
    expect(after[sopsAt]).toMatch(/^#ENC\[AES256_GCM,.*type:comment\]$/);
    expect(after[sopsAt + 1]).toBe('svc:');
    expect(after[sopsAt + 3]).toMatch(/^ {8}KEY: ENC\[AES256_GCM,.*type:str\]$/);
    expect(result.content).not.toContain('placeholder');
    writeFileSync(file, result.content);
    const decrypted = await decryptFile(file, opts);
    expect(decrypted.plaintext.toString()).toBe('# top comment\napp:\n    token: abc # inline\nother: 1\n# added\nsvc:\n    env:\n        KEY: placeholder\n');
  });

  it('returns the content unchanged when the edit changes nothing', async () => {
    const result = await editContent(join(tmp, 'x.yaml'), Buffer.from(encrypted), (doc) => doc.set(['app', 'token'], 'abc'), opts);
    expect(result).toEqual({ changed: false, content: encrypted });
  });

  it('fails with one line when no key opens the file', async () => {
    const noKey = { workspaceRoot: tmp, env: { HOME: tmp } };
    await expect(editContent(join(tmp, 'x.yaml'), Buffer.from(encrypted), () => undefined, noKey)).rejects.toThrow(/no age/i);
  });
});

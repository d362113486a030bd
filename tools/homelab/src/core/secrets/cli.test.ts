/**
 * The sops CLI backend. A stand-in `sops` (a shell script recording its argv and environment) checks
 * what we hand to sops and how its exit codes map; with a real sops on PATH, both implementations are
 * cross-checked in both directions.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKEND_ENV, decryptFile, encryptDocument, selectBackend } from './backend.ts';
import { findSops } from './find-executable.ts';

const FIXTURES = resolve(import.meta.dirname, '../../../../../test/fixtures/sops');
const HUMPHD = join(FIXTURES, 'humphd-sops-age/secret.enc.yaml');
const HUMPHD_KEY = readFileSync(join(FIXTURES, 'humphd-sops-age/key.txt'), 'utf8')
  .split('\n')
  .find((l) => l.startsWith('AGE-SECRET-KEY'))!;
const tmp = mkdtempSync(join(tmpdir(), 'sops-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const fakeBin = join(tmp, 'bin');
const record = join(tmp, 'record');

/** A stand-in sops: records argv and the key env, then prints `output` (or exits with `code`). */
function fakeSops(behaviour: { code: number } | { output: string }): void {
  mkdirSync(fakeBin, { recursive: true });
  const body = 'code' in behaviour ? `exit ${behaviour.code}` : `cat <<'SOPS_OUT'\n${behaviour.output}SOPS_OUT`;
  writeFileSync(
    join(fakeBin, 'sops'),
    `#!/bin/sh\nprintf '%s\\n' "$@" > '${record}.argv'\nprintf '%s' "$SOPS_AGE_KEY" > '${record}.key'\nprintf '%s' "$SOPS_DISABLE_VERSION_CHECK" > '${record}.check'\n${body}\n`,
  );
  chmodSync(join(fakeBin, 'sops'), 0o755);
}

const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  PATH: `${fakeBin}${delimiter}${process.env.PATH}`,
  HOME: tmp,
  SOPS_AGE_KEY: HUMPHD_KEY,
  ...extra,
});

describe('backend selection', () => {
  it('cli when sops is on PATH, builtin otherwise; HOMELAB_SOPS_BACKEND forces one', () => {
    fakeSops({ code: 0 });
    expect(selectBackend({ PATH: fakeBin }).name).toBe('cli');
    expect(selectBackend({ PATH: join(tmp, 'nothing-here') }).name).toBe('builtin');
    expect(selectBackend({ PATH: fakeBin, [BACKEND_ENV]: 'builtin' }).name).toBe('builtin');
    expect(selectBackend({ PATH: '', [BACKEND_ENV]: 'cli' }).name).toBe('cli');
    expect(() => selectBackend({ [BACKEND_ENV]: 'go' })).toThrow(/not a SOPS backend/);
    expect(findSops({ PATH: fakeBin })).toBe(join(fakeBin, 'sops'));
  });

  it('a forced cli backend without sops says so', async () => {
    await expect(decryptFile(HUMPHD, { workspaceRoot: tmp, env: { PATH: join(tmp, 'none'), HOME: tmp, [BACKEND_ENV]: 'cli' } })).rejects.toThrow(
      /sops CLI is not on PATH/,
    );
  });
});

describe('cli backend with a stand-in sops', () => {
  const plaintext =
    'secret: this is a secret\nstring: string\nint: 7\nfloat: 3.14\nboolean: true\ncomplex:\n    value: this is a secret\n    array:\n        - one\n        - two\n        - three\n';

  it('runs `sops decrypt --input-type --output-type <file>` with keys in SOPS_AGE_KEY, never in argv', async () => {
    fakeSops({ output: plaintext });
    const r = await decryptFile(HUMPHD, { workspaceRoot: tmp, env: env() });
    expect(r.backend).toBe('cli');
    expect(readFileSync(`${record}.argv`, 'utf8')).toBe(`decrypt\n--input-type\nyaml\n--output-type\nyaml\n${HUMPHD}\n`);
    expect(readFileSync(`${record}.key`, 'utf8')).toBe(HUMPHD_KEY);
    expect(readFileSync(`${record}.check`, 'utf8')).toBe('1');
    expect(readFileSync(`${record}.argv`, 'utf8')).not.toContain('AGE-SECRET-KEY');
    expect(r.plaintext.toString()).toBe(plaintext);
    expect(r.data).toEqual((await decryptFile(HUMPHD, { workspaceRoot: tmp, env: env(), backend: 'builtin' })).data);
    expect(r.leaves).toEqual(['this is a secret', 'string', '7', '3.14', 'true', 'this is a secret', 'one', 'two', 'three']);
  });

  it('exit 51 is a MAC mismatch', async () => {
    fakeSops({ code: 51 });
    await expect(decryptFile(HUMPHD, { workspaceRoot: tmp, env: env() })).rejects.toMatchObject({ code: 'mac-mismatch' });
  });

  it('exit 128 with keys is a wrong key naming the recipients; without keys, no key found', async () => {
    fakeSops({ code: 128 });
    const wrong = decryptFile(HUMPHD, { workspaceRoot: tmp, env: env() });
    await expect(wrong).rejects.toMatchObject({ code: 'wrong-key' });
    await expect(wrong).rejects.toThrow(/age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr/);
    const none = decryptFile(HUMPHD, { workspaceRoot: join(tmp, 'no-ws'), env: env({ SOPS_AGE_KEY: undefined }) });
    await expect(none).rejects.toMatchObject({ code: 'no-key' });
  });

  it('other failures do not repeat sops output', async () => {
    mkdirSync(fakeBin, { recursive: true });
    writeFileSync(join(fakeBin, 'sops'), '#!/bin/sh\necho "leaked: hunter2" >&2\nexit 3\n');
    chmodSync(join(fakeBin, 'sops'), 0o755);
    const p = decryptFile(HUMPHD, { workspaceRoot: tmp, env: env() });
    await expect(p).rejects.toThrow(/sops decrypt failed \(exit 3\)/);
    await expect(p).rejects.not.toThrow(/hunter2/);
  });

  it('plain files are refused before sops is run', async () => {
    fakeSops({ output: 'should not run' });
    const plain = join(tmp, 'plain.yaml');
    writeFileSync(plain, 'password: hunter2\n');
    rmSync(`${record}.argv`, { force: true });
    await expect(decryptFile(plain, { workspaceRoot: tmp, env: env() })).rejects.toMatchObject({ code: 'not-encrypted' });
    expect(() => readFileSync(`${record}.argv`)).toThrow();
  });
});

const realSops = findSops(process.env);

describe.skipIf(!realSops)('cross-checks with the real sops binary', () => {
  let id: string;
  let recipient: string;
  beforeAll(async () => {
    id = await generateX25519Identity();
    recipient = await identityToRecipient(id);
  });
  const realEnv = () => ({ ...process.env, HOME: tmp, SOPS_AGE_KEY: id });
  const doc = '# comment\na: 1\nb: two # inline\nc:\n    - 3.5\n    - true\nd: 2024-01-01\ne_unencrypted: clear\n';

  it('built-in encrypt → sops decrypt', async () => {
    const file = join(tmp, 'builtin-enc.yaml');
    writeFileSync(file, await encryptDocument(doc, { format: 'yaml', recipients: [recipient] }));
    const viaCli = await decryptFile(file, { workspaceRoot: tmp, env: realEnv(), backend: 'cli' });
    const viaBuiltin = await decryptFile(file, { workspaceRoot: tmp, env: realEnv(), backend: 'builtin' });
    expect(viaCli.plaintext.toString()).toBe(viaBuiltin.plaintext.toString());
  });

  it('sops encrypt → built-in decrypt', async () => {
    const file = join(tmp, 'cli-enc.yaml');
    writeFileSync(file, await encryptDocument(doc, { format: 'yaml', recipients: [recipient], backend: 'cli', env: realEnv() }));
    const viaBuiltin = await decryptFile(file, { workspaceRoot: tmp, env: realEnv(), backend: 'builtin' });
    const viaCli = await decryptFile(file, { workspaceRoot: tmp, env: realEnv(), backend: 'cli' });
    expect(viaBuiltin.plaintext.toString()).toBe(viaCli.plaintext.toString());
  });

  it.each(['json', 'dotenv', 'ini'] as const)('%s both ways', async (format) => {
    const text = { json: '{"a": 1, "b": "x"}', dotenv: 'A=1\nB=x\n', ini: '[s]\na = 1\n' }[format];
    const ext = { json: 'json', dotenv: 'env', ini: 'ini' }[format];
    for (const backend of ['builtin', 'cli'] as const) {
      const file = join(tmp, `${backend}.${ext}`);
      writeFileSync(file, await encryptDocument(text, { format, recipients: [recipient], backend, env: realEnv() }));
      const a = await decryptFile(file, { workspaceRoot: tmp, env: realEnv(), backend: 'builtin' });
      const b = await decryptFile(file, { workspaceRoot: tmp, env: realEnv(), backend: 'cli' });
      expect(a.plaintext.toString()).toBe(b.plaintext.toString());
    }
  });
});

// hack/secrets end to end (real processes, real files in temp dirs) and its argument parsing.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { execa } from 'execa';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HomelabError } from '../model/errors.ts';
import { decryptFile } from '../secrets/index.ts';
import { parseSecretPath, parseSecretsArgs } from './secrets.ts';
import { hasPty, runOnTerminal } from '../../../../../test/support/pty.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../..');
const fixtures = path.join(root, 'test/fixtures/sops/humphd-sops-age');
const expected = (file: string) => JSON.parse(readFileSync(path.join(fixtures, `${file}.expected.json`), 'utf8')).plaintext;

let tmp: string;
let home: string;

/** No key from the developer's environment: only what a test passes (else the repo's demo key). */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, HOME: home, FORCE_COLOR: '0', ...extra };
  for (const k of ['SOPS_AGE_KEY', 'SOPS_AGE_KEY_FILE', 'SOPS_AGE_KEY_CMD', 'XDG_CONFIG_HOME', 'HOMELAB_SOPS_BACKEND']) {
    if (!(k in extra)) delete e[k];
  }
  return e;
}

function secretsCli(args: string[], options: { input?: string; env?: Record<string, string>; cwd?: string } = {}) {
  return execa(process.execPath, [path.join(root, 'hack/secrets'), ...args], {
    cwd: options.cwd ?? tmp,
    env: env(options.env),
    extendEnv: false,
    input: options.input ?? '',
    reject: false,
    stripFinalNewline: false,
  });
}

/** Runs hack/secrets on a pseudo-terminal, answering each prompt once it appears. */
function onTerminal(args: string[], answers: [string, string][] = []) {
  return runOnTerminal([process.execPath, path.join(root, 'hack/secrets'), ...args], answers, { env: env(), cwd: tmp });
}

/** A fresh copy of the repository's secrets.yaml (demo key) in its own directory. */
function copyOfRepoSecrets(): string {
  const dir = mkdtempSync(path.join(tmp, 'copy-'));
  const file = path.join(dir, 'secrets.yaml');
  copyFileSync(path.join(root, 'secrets.yaml'), file);
  return file;
}

/** Compared as booleans where demo secret values are involved: a failure message must not print one. */
const same = (a: unknown, b: unknown) => isDeepStrictEqual(a, b);
const lines = (file: string) => readFileSync(file, 'utf8').split('\n');
const metadataLine = (line: string) => /^\s*(lastmodified|mac):/.test(line);

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'secrets-cmd-'));
  home = mkdtempSync(path.join(tmp, 'home-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('value paths', () => {
  it('reads dotted keys, list indices and the sops bracket form', () => {
    expect(parseSecretPath('monitoring.grafana.adminPassword')).toEqual(['monitoring', 'grafana', 'adminPassword']);
    expect(parseSecretPath('monitoring.alertmanager.emailTo[1]')).toEqual(['monitoring', 'alertmanager', 'emailTo', 1]);
    expect(parseSecretPath('["a.b"]["c"][0]')).toEqual(['a.b', 'c', 0]);
    expect(parseSecretPath("x['y.z'].w")).toEqual(['x', 'y.z', 'w']);
    expect(parseSecretPath('a[0][2].b')).toEqual(['a', 0, 2, 'b']);
  });

  it.each(['', 'a..b', '.a', 'a.', 'a[x]', 'a["b"', 'a[0]b'])('refuses %j', (text) => {
    expect(() => parseSecretPath(text)).toThrow(HomelabError);
  });
});

describe('arguments', () => {
  it('refuses a value on the command line without repeating it', () => {
    let error: unknown;
    try {
      parseSecretsArgs({}, ['set', 'a.b', 'sup3r-s3cret-on-argv']);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(HomelabError);
    expect((error as HomelabError).line()).toMatch(/never takes the value as an argument/);
    expect((error as HomelabError).line()).not.toContain('sup3r-s3cret-on-argv');
  });

  it('refuses options that do not apply, unknown outputs, types and formats', () => {
    expect(() => parseSecretsArgs({ reveal: true }, ['get', 'a'])).toThrow(/--reveal does not apply to "get"/);
    expect(() => parseSecretsArgs({ output: 'yaml' }, ['view'])).toThrow(/--output takes "json"/);
    expect(() => parseSecretsArgs({ type: 'date' }, ['set', 'a'])).toThrow(/--type takes one of/);
    expect(() => parseSecretsArgs({ format: 'toml' }, ['view'])).toThrow(/unknown SOPS file format "toml"/);
    expect(() => parseSecretsArgs({}, ['recipients', 'add'])).toThrow(/recipients takes/);
    expect(() => parseSecretsArgs({}, ['encrypt'])).toThrow(/unknown secrets subcommand "encrypt"/);
  });

  it('parses every subcommand', () => {
    expect(parseSecretsArgs({ reveal: true, output: 'json' }, ['view']).action).toEqual({ kind: 'view', reveal: true, json: true });
    expect(parseSecretsArgs({ file: 'x.env', format: 'dotenv' }, ['rm', 'A'])).toEqual({
      file: 'x.env',
      format: 'dotenv',
      action: { kind: 'rm', path: ['A'] },
    });
    expect(parseSecretsArgs({}, ['recipients']).action).toEqual({ kind: 'recipients', add: [], remove: [] });
    expect(parseSecretsArgs({}, ['recipients', 'remove', 'age1a', 'age1b']).action).toEqual({ kind: 'recipients', add: [], remove: ['age1a', 'age1b'] });
  });
});

describe('hack/secrets on the repository secrets.yaml (demo key)', () => {
  it('view masks every value and keeps the structure; the same value gets the same marker', async () => {
    const file = copyOfRepoSecrets();
    const decrypted = await decryptFile(file, { workspaceRoot: root, env: env() });
    const run = await secretsCli(['view', '--file', file]);
    expect(run.exitCode).toBe(0);
    const masked = parse(run.stdout as string);
    const scalars = (v: unknown): unknown[] => (v !== null && typeof v === 'object' ? Object.values(v).flatMap(scalars) : [v]);
    expect(scalars(masked).filter((v) => !/^REDACTED[0-9a-f]{8}$/.test(String(v)))).toEqual([]);
    const shape = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(shape) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)])) : 'leaf';
    expect(shape(masked)).toEqual(shape(decrypted.data));
    const markers = (run.stdout as string).match(/REDACTED[0-9a-f]{8}/g) ?? [];
    expect(markers).toHaveLength(decrypted.leaves.length);
    // Changing one value changes exactly its marker.
    expect((await secretsCli(['set', 'monitoring.grafana.adminPassword', '--file', file], { input: 'another-password\n' })).exitCode).toBe(0);
    const after = ((await secretsCli(['view', '--file', file])).stdout as string).match(/REDACTED[0-9a-f]{8}/g) ?? [];
    expect(after.filter((m, i) => m !== markers[i])).toHaveLength(1);
  });

  it('view --reveal writes only to a terminal; --output json is for scripts', async () => {
    const file = copyOfRepoSecrets();
    const refused = await secretsCli(['view', '--reveal', '--file', file]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/only writes to a terminal/);
    const json = await secretsCli(['view', '--reveal', '--output', 'json', '--file', file]);
    expect(json.exitCode).toBe(0);
    expect(same(JSON.parse(json.stdout as string), (await decryptFile(file, { workspaceRoot: root, env: env() })).data)).toBe(true);
  });

  it('get prints one value exactly (no newline on a pipe), JSON for a subtree, an error for a missing path', async () => {
    const file = copyOfRepoSecrets();
    const data = (await decryptFile(file, { workspaceRoot: root, env: env() })).data as {
      monitoring: { alertmanager: { emailTo: unknown[]; smtp: { port: unknown } } };
      gitops: { repository: unknown };
    };
    const one = await secretsCli(['get', 'monitoring.alertmanager.emailTo[1]', '--file', file]);
    expect(same(one.stdout, data.monitoring.alertmanager.emailTo[1])).toBe(true);
    const port = await secretsCli(['get', '["monitoring"]["alertmanager"]["smtp"]["port"]', '--output', 'json', '--file', file]);
    expect(same(JSON.parse(port.stdout as string), data.monitoring.alertmanager.smtp.port)).toBe(true);
    const tree = await secretsCli(['get', 'gitops.repository', '--file', file]);
    expect(same(JSON.parse(tree.stdout as string), data.gitops.repository)).toBe(true);
    const missing = await secretsCli(['get', 'gitops.nope', '--file', file]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/no value at gitops\.nope/);
  });

  it('set rewrites only the changed value (comments, order and other ciphertexts byte-identical), atomically', async () => {
    const file = copyOfRepoSecrets();
    const before = lines(file);
    const inode = statSync(file).ino;
    const run = await secretsCli(['set', 'gitops.renovate.token', '--file', file], { input: 'a-brand-new-token\n' });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe('');
    const after = lines(file);
    expect(after).toHaveLength(before.length);
    const changed = after.map((l, i) => (l === before[i] ? -1 : i)).filter((i) => i >= 0);
    expect(changed.map((i) => after[i].trim().split(':')[0]).sort()).toEqual(['lastmodified', 'mac', 'token']);
    expect(before[changed.find((i) => after[i].includes('token:'))!]).toMatch(/^\s+token: ENC\[/);
    // Replaced by rename of a sibling temp file, none left behind.
    expect(statSync(file).ino).not.toBe(inode);
    expect(readdirSync(path.dirname(file))).toEqual(['secrets.yaml']);
    const get = await secretsCli(['get', 'gitops.renovate.token', '--file', file]);
    expect(get.stdout).toBe('a-brand-new-token');
  });

  it('set keeps the type of the value it replaces, or takes --type; a wrong value changes nothing', async () => {
    const file = copyOfRepoSecrets();
    expect((await secretsCli(['set', 'monitoring.alertmanager.smtp.port', '--file', file], { input: '2525' })).exitCode).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/port: ENC\[AES256_GCM,[^\]]*type:int\]/);
    const original = readFileSync(file);
    const bad = await secretsCli(['set', 'monitoring.alertmanager.smtp.requireTls', '--file', file], { input: 'maybe-later' });
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/requireTls is not true or false/);
    expect(bad.stderr).not.toContain('maybe-later');
    expect(readFileSync(file).equals(original)).toBe(true);
    expect((await secretsCli(['set', 'extra.list', '--type', 'json', '--file', file], { input: '["x-one", 2]' })).exitCode).toBe(0);
    expect(JSON.parse((await secretsCli(['get', 'extra.list', '--output', 'json', '--file', file])).stdout as string)).toEqual(['x-one', 2]);
    const map = await secretsCli(['set', 'gitops.repository', '--file', file], { input: 'flat' });
    expect(map.stderr).toMatch(/gitops\.repository holds a map/);
  });

  it('set refuses a value argument and an empty stdin, leaving the file untouched', async () => {
    const file = copyOfRepoSecrets();
    const original = readFileSync(file);
    const argv = await secretsCli(['set', 'a.b', 'value-on-the-command-line', '--file', file]);
    expect(argv.exitCode).toBe(1);
    expect(argv.stderr.trim().split('\n')).toHaveLength(1);
    expect(argv.stderr).not.toContain('value-on-the-command-line');
    const empty = await secretsCli(['set', 'a.b', '--file', file], { input: '' });
    expect(empty.exitCode).toBe(1);
    expect(empty.stderr).toMatch(/no value given for a\.b/);
    expect(readFileSync(file).equals(original)).toBe(true);
  });

  it('rm removes one value and leaves every other line as it was', async () => {
    const file = copyOfRepoSecrets();
    const before = lines(file);
    expect((await secretsCli(['rm', 'monitoring.alertmanager.webhookUrl', '--file', file])).exitCode).toBe(0);
    const after = lines(file);
    const removed = before.findIndex((l) => l.includes('webhookUrl:'));
    expect(after.filter((l) => !metadataLine(l))).toEqual(before.filter((l, i) => i !== removed && !metadataLine(l)));
    expect((await secretsCli(['rm', 'monitoring.alertmanager.webhookUrl', '--file', file])).stderr).toMatch(/no value at/);
  });

  it('rotate re-encrypts every value under a new data key; the plaintext is unchanged', async () => {
    const file = copyOfRepoSecrets();
    const before = readFileSync(file, 'utf8');
    const plain = (await decryptFile(file, { workspaceRoot: root, env: env() })).plaintext;
    expect((await secretsCli(['rotate', '--file', file])).exitCode).toBe(0);
    const after = readFileSync(file, 'utf8');
    const encs = (text: string) => text.match(/ENC\[[^\]]+\]/g) ?? [];
    expect(encs(after)).toHaveLength(encs(before).length);
    expect(encs(after).filter((e) => before.includes(e))).toEqual([]);
    expect((await decryptFile(file, { workspaceRoot: root, env: env() })).plaintext.equals(plain)).toBe(true);
  });

  it('replacing the demo key as docs/secrets.md says: recipients add (with the demo key), remove, rotate', async () => {
    const file = copyOfRepoSecrets();
    const identity = await generateIdentity();
    const recipient = await identityToRecipient(identity);
    // The user's own key in the default keys file (age-keygen -o ~/.config/sops/age/keys.txt).
    const userHome = mkdtempSync(path.join(tmp, 'user-'));
    mkdirSync(path.join(userHome, '.config/sops/age'), { recursive: true });
    writeFileSync(path.join(userHome, '.config/sops/age/keys.txt'), `# created: now\n# public key: ${recipient}\n${identity}\n`);
    const mine = { HOME: userHome };
    const withDemo = { ...mine, SOPS_AGE_KEY_FILE: path.join(root, 'demo-age-key.txt') };

    const demo = ((await secretsCli(['recipients', '--file', file])).stdout as string).trim();
    expect(demo).toBe(parse(readFileSync(file, 'utf8')).sops.age[0].recipient);
    const plain = (await decryptFile(file, { workspaceRoot: root, env: env() })).plaintext;
    const valuesBefore = readFileSync(file, 'utf8').match(/ENC\[[^\]]+\]/g);

    // With a key of one's own, the demo key is no longer tried: it must be named for the first step.
    const alone = await secretsCli(['recipients', 'add', recipient, '--file', file], { env: mine });
    expect(alone.exitCode).toBe(1);
    expect(alone.stderr).toContain(`it is encrypted for ${demo}`);
    expect((await secretsCli(['recipients', 'add', recipient, '--file', file], { env: withDemo })).exitCode).toBe(0);
    expect(((await secretsCli(['recipients', 'list', '--file', file])).stdout as string).trim().split('\n')).toEqual([demo, recipient]);
    // The new key alone opens it; values are untouched by a re-wrap.
    expect((await decryptFile(file, { workspaceRoot: root, env: env(mine) })).plaintext.equals(plain)).toBe(true);
    expect(readFileSync(file, 'utf8').match(/ENC\[[^\]]+\]/g)).toEqual(valuesBefore);

    const remove = await secretsCli(['recipients', 'remove', demo, '--file', file], { env: mine });
    expect(remove.exitCode).toBe(0);
    expect(remove.stderr).toMatch(/run secrets rotate/);
    expect((await secretsCli(['rotate', '--file', file], { env: mine })).exitCode).toBe(0);
    expect((await decryptFile(file, { workspaceRoot: root, env: env(mine) })).plaintext.equals(plain)).toBe(true);
    const demoOnly = await secretsCli(['view', '--file', file]);
    expect(demoOnly.exitCode).toBe(1);
    expect(demoOnly.stderr).toContain(`it is encrypted for ${recipient}`);
    const unknown = await secretsCli(['recipients', 'remove', demo, '--file', file], { env: mine });
    expect(unknown.stderr).toMatch(/is not a recipient/);
  });
});

describe.skipIf(!hasPty)('hack/secrets on a terminal', () => {
  it('set asks twice with echo off; entries that differ change nothing', async () => {
    const file = copyOfRepoSecrets();
    const typed = await onTerminal(
      ['set', 'gitops.repository.token', '--file', file],
      [
        ['(hidden): ', 'typed-at-the-prompt\r'],
        ['Again: ', 'typed-at-the-prompt\r'],
      ],
    );
    expect(typed.code).toBe(0);
    expect(typed.shown).toContain('Value for gitops.repository.token (hidden): ');
    expect(typed.shown).not.toContain('typed-at-the-prompt');
    expect((await secretsCli(['get', 'gitops.repository.token', '--file', file])).stdout).toBe('typed-at-the-prompt');
    const before = readFileSync(file);
    const typo = await onTerminal(
      ['set', 'gitops.repository.token', '--file', file],
      [
        ['(hidden): ', 'first-entry\r'],
        ['Again: ', 'second-entry\r'],
      ],
    );
    expect(typo.code).toBe(1);
    expect(typo.shown).toMatch(/the two entries differ, nothing changed/);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('view --reveal and get print to a terminal', async () => {
    const file = copyOfRepoSecrets();
    const data = (await decryptFile(file, { workspaceRoot: root, env: env() })).data as { gitops: { renovate: { token: string } } };
    const reveal = await onTerminal(['view', '--reveal', '--file', file]);
    expect(reveal.code).toBe(0);
    // Compared as booleans: a failure message must not print a secret.
    expect(reveal.shown.includes(`token: ${data.gitops.renovate.token}`)).toBe(true);
    const get = await onTerminal(['get', 'gitops.renovate.token', '--file', file]);
    expect(get.shown === `${data.gitops.renovate.token}\r\n`).toBe(true);
  });
});

describe('hack/secrets --file: other formats', () => {
  it('reads and edits the sops-encrypted YAML, JSON and dotenv fixtures of another project', async () => {
    const keyFile = path.join(fixtures, 'key.txt');
    for (const name of ['secret.enc.yaml', 'secret.enc.json', 'secret.enc.env']) {
      const file = path.join(mkdtempSync(path.join(tmp, 'fmt-')), name);
      copyFileSync(path.join(fixtures, name), file);
      const e = { SOPS_AGE_KEY_FILE: keyFile };
      const json = await secretsCli(['view', '--reveal', '--output', 'json', '--file', file], { env: e });
      expect(JSON.parse(json.stdout as string), name).toEqual(expected(name));
      const view = await secretsCli(['view', '--file', file], { env: e });
      expect(view.exitCode).toBe(0);
      expect(view.stdout).not.toContain('this is a secret');
      const before = lines(file);
      expect((await secretsCli(['set', 'secret', '--file', file], { env: e, input: 'changed secret' })).exitCode).toBe(0);
      expect((await secretsCli(['get', 'secret', '--file', file], { env: e })).stdout).toBe('changed secret');
      const after = lines(file);
      // Unchanged values keep their ciphertext byte for byte.
      const encOf = (ls: string[]) => ls.filter((l) => /ENC\[/.test(l) && !/secret["']?\s*[:=]|mac/.test(l));
      expect(encOf(after), name).toEqual(encOf(before));
    }
  });

  it('creates INI, dotenv, JSON and binary files from the .sops.yaml creation rules', async () => {
    const dir = mkdtempSync(path.join(tmp, 'create-'));
    const identity = await generateIdentity();
    const recipient = await identityToRecipient(identity);
    const second = await identityToRecipient(await generateIdentity());
    writeFileSync(path.join(dir, 'key.txt'), identity);
    writeFileSync(
      path.join(dir, '.sops.yaml'),
      `creation_rules:\n  - path_regex: ^conf/.*\\.ini$\n    encrypted_regex: ^pass\n    age: ${recipient}\n  - path_regex: \\.(env|json|bin)$\n    age: >-\n      ${second},\n      ${recipient}\n`,
    );
    const e = { SOPS_AGE_KEY_FILE: path.join(dir, 'key.txt') };
    const cases: [string, string, string][] = [
      ['conf/app.ini', 'db.password', 'ini-secret-value'],
      ['app.env', 'API_TOKEN', 'dotenv-secret-value'],
      ['nested/app.json', 'a.b[0]', 'json-secret-value'],
      ['blob.bin', 'data', 'line one\nbinary-secret-value\n'],
    ];
    for (const [name, key, value] of cases) {
      const run = await secretsCli(['set', key, '--file', name], { env: e, input: `${value}\n`, cwd: dir });
      expect(run.exitCode, `${name}: ${run.stderr}`).toBe(0);
      const text = readFileSync(path.join(dir, name), 'utf8');
      expect(text).toContain(recipient);
      expect(text).not.toContain(value.trim());
      const got = await secretsCli(['get', key, '--file', name], { env: e, cwd: dir });
      expect(got.stdout, name).toBe(value);
    }
    // Only keys matching the rule's encrypted_regex are encrypted in the INI file.
    expect((await secretsCli(['set', 'db.host', '--file', 'conf/app.ini'], { env: e, input: 'db.local', cwd: dir })).exitCode).toBe(0);
    expect(readFileSync(path.join(dir, 'conf/app.ini'), 'utf8')).toMatch(/host\s*=\s*db\.local/);
    const noRule = await secretsCli(['set', 'x', '--file', 'other.yaml'], { env: e, input: 'v', cwd: dir });
    expect(noRule.stderr).toMatch(/no creation rule matches other\.yaml/);
    expect(readdirSync(dir).sort()).toEqual(['.sops.yaml', 'app.env', 'blob.bin', 'conf', 'key.txt', 'nested']);
  });
});

describe('hack/secrets errors: one line, nothing printed or written', () => {
  const oneLine = (run: { exitCode?: number; stdout: unknown; stderr: unknown }) => {
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toBe('');
    const err = String(run.stderr).trim().split('\n');
    expect(err).toHaveLength(1);
    return err[0];
  };

  it('a plain YAML file is refused, not passed through', async () => {
    const file = path.join(tmp, 'plain.yaml');
    writeFileSync(file, 'password: plain-value-here\n');
    expect(oneLine(await secretsCli(['view', '--file', file]))).toMatch(/plain\.yaml: not a SOPS-encrypted file/);
    expect(oneLine(await secretsCli(['set', 'password', '--file', file], { input: 'x' }))).toMatch(/not a SOPS-encrypted file/);
    expect(readFileSync(file, 'utf8')).toBe('password: plain-value-here\n');
  });

  it('malformed YAML, an unknown format, a missing file', async () => {
    const file = path.join(tmp, 'broken.yaml');
    writeFileSync(file, 'a: [unclosed\n');
    expect(oneLine(await secretsCli(['view', '--file', file]))).toMatch(/broken\.yaml: malformed YAML/);
    expect(oneLine(await secretsCli(['view', '--format', 'toml', '--file', file]))).toMatch(/unknown SOPS file format "toml"/);
    expect(oneLine(await secretsCli(['view', '--file', path.join(tmp, 'missing.yaml')]))).toMatch(/missing\.yaml: cannot read the file \(ENOENT\)/);
  });

  it('a wrong key names the recipients the file expects', async () => {
    const identity = await generateIdentity();
    const file = copyOfRepoSecrets();
    const line = oneLine(await secretsCli(['get', 'gitops.repository.token', '--file', file], { env: { SOPS_AGE_KEY: identity } }));
    expect(line).toContain(`it is encrypted for ${parse(readFileSync(file, 'utf8')).sops.age[0].recipient}`);
    expect(line).toContain('SOPS_AGE_KEY');
  });
});

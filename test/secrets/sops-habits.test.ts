// The sops habits of hack/secrets besides edit: updatekeys from .sops.yaml, set --from-file, and every write going
// through the sops binary when one is on PATH — here a fake sops that records its argv, environment and stdin, to
// prove a value never reaches argv.
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptFile, fileRecipients, recipientOf } from '../../tools/homelab/src/core/secrets/index.ts';
import { hasPty, runOnTerminal } from '../support/pty.ts';

const root = path.resolve(import.meta.dirname, '../..');
const hack = path.join(root, 'hack/secrets');
const TMPFS_MAGIC = 0x01021994;

let tmp: string;
let demoRecipient: string;

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, HOME: path.join(tmp, 'home'), HOMELAB_SOPS_BACKEND: 'builtin', FORCE_COLOR: '0', ...extra };
  for (const k of ['SOPS_AGE_KEY', 'SOPS_AGE_KEY_FILE', 'SOPS_AGE_KEY_CMD', 'XDG_CONFIG_HOME', 'SOPS_EDITOR', 'VISUAL']) if (!(k in extra)) delete e[k];
  return e;
}

function secretsCli(args: string[], options: { input?: string | Buffer; env?: Record<string, string>; cwd?: string } = {}) {
  return execa(process.execPath, [hack, ...args], {
    cwd: options.cwd ?? tmp,
    env: env(options.env),
    extendEnv: false,
    input: options.input ?? '',
    reject: false,
    stripFinalNewline: false,
  });
}

/** A directory holding a copy of the repository's secrets.yaml (demo key), optionally with a .sops.yaml. */
function workspace(recipients?: string[]): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(tmp, 'ws-'));
  const file = path.join(dir, 'secrets.yaml');
  copyFileSync(path.join(root, 'secrets.yaml'), file);
  if (recipients) writeFileSync(path.join(dir, '.sops.yaml'), `creation_rules:\n  - path_regex: secrets\\.yaml$\n    age: ${recipients.join(',')}\n`);
  return { dir, file };
}

const dataPart = (file: string) => {
  const text = readFileSync(file, 'utf8');
  return text.slice(0, text.search(/^sops:/m));
};
const metadataLine = (file: string, key: string) => readFileSync(file, 'utf8').match(new RegExp(`^ +${key}: .*$`, 'm'))?.[0];

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'sops-habits-'));
  mkdirSync(path.join(tmp, 'home'));
  demoRecipient = await recipientOf(readFileSync(path.join(root, 'demo-age-key.txt'), 'utf8').match(/^AGE-SECRET-KEY-\S+$/m)![0]);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('secrets updatekeys', () => {
  it('re-wraps the data key for the two recipients of .sops.yaml; values, MAC and lastmodified untouched', async () => {
    const identity = await generateIdentity();
    const added = await identityToRecipient(identity);
    const { dir, file } = workspace([demoRecipient, added]);
    const before = { data: dataPart(file), mac: metadataLine(file, 'mac'), modified: metadataLine(file, 'lastmodified') };
    const original = await decryptFile(file, { workspaceRoot: root, env: env() });
    const run = await secretsCli(['updatekeys', '--yes', 'secrets.yaml'], { cwd: dir });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain(`  + ${added}`);
    expect(run.stderr).toMatch(/recipients synced with .*\.sops\.yaml; values unchanged/);
    expect(await fileRecipients(file)).toEqual([[demoRecipient, added]]);
    expect({ data: dataPart(file), mac: metadataLine(file, 'mac'), modified: metadataLine(file, 'lastmodified') }).toEqual(before);
    // The new recipient alone opens it, to the same values.
    const opened = await decryptFile(file, { workspaceRoot: tmp, env: env({ SOPS_AGE_KEY: identity }) });
    expect(opened.plaintext.equals(original.plaintext)).toBe(true);
    // In sync now: nothing to do.
    const again = await secretsCli(['updatekeys', file]);
    expect(again.stderr).toMatch(/already encrypted for the recipients of .*unchanged/);
  });

  it('without --yes asks on a terminal and shows what is removed; refuses without one', async () => {
    const identity = await generateIdentity();
    const only = await identityToRecipient(identity);
    const { dir, file } = workspace([only]);
    const before = readFileSync(file);
    const refused = await secretsCli(['updatekeys', '--file', file], { cwd: dir });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/not changed, no terminal to confirm on — pass --yes/);
    expect(readFileSync(file).equals(before)).toBe(true);
    if (!hasPty) return;
    const declined = await runOnTerminal([process.execPath, hack, 'updatekeys', file], [['Re-wrap the data key', 'n\r']], { env: env(), cwd: dir });
    expect(declined.shown).toContain(`  - ${demoRecipient}`);
    expect(declined.shown).toContain(`  + ${only}`);
    expect(declined.shown).toMatch(/left unchanged/);
    expect(readFileSync(file).equals(before)).toBe(true);
    const accepted = await runOnTerminal([process.execPath, hack, 'updatekeys', file], [['Re-wrap the data key', 'y\r']], { env: env(), cwd: dir });
    expect(accepted.code, accepted.shown).toBe(0);
    expect(accepted.shown).toMatch(/run secrets rotate/);
    expect(await fileRecipients(file)).toEqual([[only]]);
    expect((await decryptFile(file, { workspaceRoot: tmp, env: env({ SOPS_AGE_KEY: identity }) })).data).toBeTruthy();
  });
});

describe("a sops user's first commands, in hack/secrets words", () => {
  it('each runs on a copy of secrets.yaml with the meaning sops gives it', async () => {
    const identity = await generateIdentity();
    const { dir, file } = workspace([demoRecipient, await identityToRecipient(identity)]);
    const ok = async (sops: string, args: string[], input = '') => {
      const run = await secretsCli(args, { cwd: dir, input });
      expect(run.exitCode, `${sops} → hack/secrets ${args.join(' ')}: ${run.stderr}`).toBe(0);
      return String(run.stdout);
    };
    const data = async () => (await decryptFile(file, { workspaceRoot: root, env: env() })).data as { monitoring: { grafana: Record<string, unknown> } };
    // sops decrypt --output-type json secrets.yaml
    expect(JSON.parse(await ok('sops decrypt', ['view', '--reveal', '--output', 'json', '--file', 'secrets.yaml']))).toEqual(await data());
    // sops decrypt --extract '["monitoring"]["grafana"]["adminUser"]' secrets.yaml
    expect(
      (await ok('sops decrypt --extract', ['get', '["monitoring"]["grafana"]["adminUser"]', '--file', 'secrets.yaml'])) ===
        (await data()).monitoring.grafana.adminUser,
    ).toBe(true);
    // sops set --value-stdin secrets.yaml '["monitoring"]["grafana"]["adminPassword"]'
    await ok('sops set', ['set', '["monitoring"]["grafana"]["adminPassword"]', '--file', 'secrets.yaml'], 'from-a-pipe\n');
    expect((await data()).monitoring.grafana.adminPassword === 'from-a-pipe').toBe(true);
    // sops set --value-file … (here a plain file, not JSON)
    writeFileSync(path.join(dir, 'note.txt'), 'two\nlines\n');
    await ok('sops set --value-file', ['set', 'monitoring.grafana.note', '--from-file', 'note.txt', '--file', 'secrets.yaml']);
    // sops unset secrets.yaml '["monitoring"]["grafana"]["note"]'
    await ok('sops unset', ['rm', '["monitoring"]["grafana"]["note"]', '--file', 'secrets.yaml']);
    expect('note' in (await data()).monitoring.grafana).toBe(false);
    // sops updatekeys -y secrets.yaml
    await ok('sops updatekeys -y', ['updatekeys', '-y', 'secrets.yaml']);
    expect((await fileRecipients(file))[0]).toHaveLength(2);
    // sops rotate -i secrets.yaml
    await ok('sops rotate -i', ['rotate', '--file', 'secrets.yaml']);
    // who can decrypt (sops users read the file's sops.age list)
    expect((await ok('recipients', ['recipients', '--file', 'secrets.yaml'])).trim().split('\n')).toHaveLength(2);
    // sops edit secrets.yaml: test/secrets/edit.test.ts
  });
});

describe('secrets set --from-file', () => {
  const pem = '-----BEGIN CERTIFICATE-----\nMIIBfakefakefakefake\nbGluZTI=\n-----END CERTIFICATE-----\n';

  it('stores the exact bytes of a file, final newline included; - reads stdin', async () => {
    const { dir, file } = workspace();
    writeFileSync(path.join(dir, 'tls.crt'), pem);
    const set = await secretsCli(['set', 'apps.tls.crt', '--from-file', 'tls.crt', '--file', file], { cwd: dir });
    expect(set.exitCode, set.stderr).toBe(0);
    const got = await secretsCli(['get', 'apps.tls.crt', '--file', file]);
    expect(got.stdout).toBe(pem);
    const piped = await secretsCli(['set', 'apps.tls.key', '--from-file', '-', '--file', file], { input: `${pem}extra\n` });
    expect(piped.exitCode, piped.stderr).toBe(0);
    const { data } = await decryptFile(file, { workspaceRoot: root, env: env() });
    expect((data as { apps: { tls: { key: string } } }).apps.tls.key).toBe(`${pem}extra\n`);
  });

  it('refuses a missing or non-UTF-8 file in one line, file untouched', async () => {
    const { dir, file } = workspace();
    const before = readFileSync(file);
    writeFileSync(path.join(dir, 'blob.bin'), Buffer.from([0xff, 0xfe, 0x00, 0x80]));
    const binary = await secretsCli(['set', 'apps.blob', '--from-file', 'blob.bin', '--file', file], { cwd: dir });
    expect(binary.stderr).toMatch(/blob\.bin is not UTF-8 text: a SOPS value is a string — store it base64-encoded/);
    const missing = await secretsCli(['set', 'apps.blob', '--from-file', 'nope.pem', '--file', file], { cwd: dir });
    expect(missing.stderr).toMatch(/cannot read nope\.pem \(ENOENT\) — check the path given to --from-file/);
    expect(readFileSync(file).equals(before)).toBe(true);
  });
});

describe('writes through the sops binary on PATH', () => {
  const value = 'value-that-must-never-be-on-argv-7f3a';
  let bin: string;
  let log: string;

  /** One record per sops call: argv, the variables sops reads, whether a key came in SOPS_AGE_KEY, stdin, cwd. */
  const calls = (): { argv: string[]; env: Record<string, string>; keyInEnv: boolean; stdin: string; cwd: string; tmpdirFs?: string }[] =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l))
      : [];

  beforeAll(() => {
    bin = mkdtempSync(path.join(tmp, 'fake-sops-'));
    log = path.join(bin, 'calls.jsonl');
    const secretsIndex = path.join(root, 'tools/homelab/src/core/secrets/index.ts');
    // decrypt and encrypt are answered by the built-in engine (so reads work and a created file is real); every
    // other write is only recorded.
    writeFileSync(
      path.join(bin, 'sops'),
      `#!${process.execPath}
import { appendFileSync, readFileSync, statfsSync } from 'node:fs';
const argv = process.argv.slice(2);
let stdin = '';
if (argv.includes('--value-stdin') || argv[0] === 'encrypt') stdin = readFileSync(0, 'utf8');
const record = { argv, keyInEnv: !!process.env.SOPS_AGE_KEY, stdin, cwd: process.cwd(), env: { TMPDIR: process.env.TMPDIR ?? '', SOPS_EDITOR: process.env.SOPS_EDITOR ?? '' } };
if (argv[0] === 'edit') record.tmpdirFs = Number(statfsSync(process.env.TMPDIR).type) === ${TMPFS_MAGIC} ? 'tmpfs' : 'other';
if (argv[0] !== '--version' && argv[0] !== 'decrypt') appendFileSync(${JSON.stringify(log)}, JSON.stringify(record) + '\\n');
if (argv[0] === '--version') process.stdout.write('sops ' + (process.env.FAKE_SOPS_VERSION ?? '3.13.2') + '\\n');
if (argv[0] === 'decrypt') {
  const { decryptFile } = await import(${JSON.stringify(secretsIndex)});
  const file = argv.at(-1);
  const result = await decryptFile(file, { workspaceRoot: ${JSON.stringify(root)}, backend: 'builtin', env: { ...process.env, SOPS_AGE_KEY: process.env.SOPS_AGE_KEY } });
  process.stdout.write(result.plaintext);
}
if (argv[0] === 'encrypt') {
  const { encryptDocument } = await import(${JSON.stringify(secretsIndex)});
  const flag = (name) => argv[argv.indexOf(name) + 1];
  process.stdout.write(await encryptDocument(stdin, { format: flag('--input-type'), recipients: flag('--age').split(','), backend: 'builtin' }));
}
`,
    );
    chmodSync(path.join(bin, 'sops'), 0o755);
  });

  const viaSops = (args: string[], options: { input?: string; env?: Record<string, string>; cwd?: string } = {}) =>
    secretsCli(args, { ...options, env: { PATH: `${bin}${path.delimiter}${process.env.PATH}`, HOMELAB_SOPS_BACKEND: '', ...options.env } });

  it('set hands sops the value on stdin (--value-stdin), never argv or the environment', async () => {
    rmSync(log, { force: true });
    const { file } = workspace();
    const run = await viaSops(['set', 'monitoring.grafana.adminPassword', '--file', file], { input: `${value}\n` });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/set by sops/);
    const [call] = calls();
    expect(call.argv).toEqual([
      'set',
      '--value-stdin',
      '--input-type',
      'yaml',
      '--output-type',
      'yaml',
      path.relative(tmp, file),
      '["monitoring"]["grafana"]["adminPassword"]',
    ]);
    expect(call.stdin).toBe(JSON.stringify(value));
    expect(call.keyInEnv).toBe(true);
    expect(JSON.stringify(calls().map((c) => [c.argv, c.env]))).not.toContain(value);
  });

  it('rm, rotate, recipients, updatekeys and edit run sops with the file and no value', async () => {
    rmSync(log, { force: true });
    const identity = await generateIdentity();
    const added = await identityToRecipient(identity);
    const { dir, file } = workspace([demoRecipient, added]);
    const expectOk = async (args: string[], extra: Record<string, string> = {}) => {
      const run = await viaSops(args, { cwd: dir, env: extra });
      expect(run.exitCode, `${args.join(' ')}: ${run.stderr}`).toBe(0);
      return run;
    };
    await expectOk(['rm', 'monitoring.grafana.adminPassword', '--file', file]);
    await expectOk(['rotate', '--file', file]);
    await expectOk(['recipients', 'add', added, '--file', file]);
    await expectOk(['updatekeys', '--yes', file]);
    const shm = existsSync('/dev/shm') && Number(statfsSync('/dev/shm').type) === TMPFS_MAGIC;
    const runtime = shm ? mkdtempSync('/dev/shm/sops-habits-test-') : undefined;
    try {
      if (runtime) await expectOk(['edit', file], { EDITOR: 'nano -R', XDG_RUNTIME_DIR: runtime });
      const recorded = calls();
      const named = 'secrets.yaml'; // relative to the command's directory, as the user named it
      expect(recorded.map((c) => c.argv)).toEqual([
        ['unset', '--input-type', 'yaml', '--output-type', 'yaml', named, '["monitoring"]["grafana"]["adminPassword"]'],
        ['rotate', '--in-place', '--input-type', 'yaml', '--output-type', 'yaml', named],
        ['rotate', '--in-place', '--input-type', 'yaml', '--output-type', 'yaml', '--add-age', added, named],
        ['--config', path.join(dir, '.sops.yaml'), 'updatekeys', '--yes', '--input-type', 'yaml', named],
        ...(runtime ? [['edit', '--input-type', 'yaml', '--output-type', 'yaml', named]] : []),
      ]);
      expect(recorded.every((c) => c.keyInEnv && c.stdin === '')).toBe(true);
      if (runtime) {
        // sops edit keeps its temporary file under our directory in memory, with the editor we resolved.
        const edit = recorded.at(-1)!;
        expect(edit.env.TMPDIR.startsWith(`${runtime}/homelab-edit-`)).toBe(true);
        expect(edit.tmpdirFs).toBe('tmpfs');
        expect(edit.env.SOPS_EDITOR).toBe('nano -R');
        expect(existsSync(edit.env.TMPDIR)).toBe(false);
      }
    } finally {
      if (runtime) rmSync(runtime, { recursive: true, force: true });
    }
  });

  it('set on a new file has sops encrypt it for the .sops.yaml recipients, the document only on its stdin', async () => {
    rmSync(log, { force: true });
    const dir = mkdtempSync(path.join(tmp, 'new-'));
    writeFileSync(path.join(dir, '.sops.yaml'), `creation_rules:\n  - path_regex: secrets\\.yaml$\n    age: ${demoRecipient}\n`);
    const run = await viaSops(['set', 'apps.token', '--file', 'secrets.yaml'], { cwd: dir, input: `${value}\n` });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^secrets\.yaml: created by sops, apps\.token set \(encrypted for 1 recipient\(s\) of .*\.sops\.yaml\)$/m);
    const recorded = calls();
    expect(recorded.map((c) => c.argv)).toEqual([['encrypt', '--age', demoRecipient, '--input-type', 'yaml', '--output-type', 'yaml', '/dev/stdin']]);
    const [call] = recorded;
    expect(call.stdin).toBe(`apps:\n    token: ${value}\n`);
    // Encrypting needs no identity, and sops runs outside the repository so only our flags choose the recipients.
    expect(call.keyInEnv).toBe(false);
    expect(call.cwd).toBe(tmpdir());
    expect(JSON.stringify([call.argv, call.env])).not.toContain(value);
    const { data } = await decryptFile(path.join(dir, 'secrets.yaml'), { workspaceRoot: root, env: env() });
    expect((data as { apps: { token: string } }).apps.token === value).toBe(true);
  });

  it('a new file with Shamir key groups is created by the built-in engine: sops encrypt flags name one group', async () => {
    rmSync(log, { force: true });
    const dir = mkdtempSync(path.join(tmp, 'new-'));
    const other = await identityToRecipient(await generateIdentity());
    writeFileSync(
      path.join(dir, '.sops.yaml'),
      `creation_rules:\n  - path_regex: secrets\\.yaml$\n    key_groups:\n      - age: [${demoRecipient}]\n      - age: [${other}]\n`,
    );
    const run = await viaSops(['set', 'apps.token', '--file', 'secrets.yaml'], { cwd: dir, input: `${value}\n` });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^secrets\.yaml: created, apps\.token set \(encrypted for 2 recipient\(s\) of .*\.sops\.yaml\)$/m);
    expect(calls()).toEqual([]);
    expect(await fileRecipients(path.join(dir, 'secrets.yaml'))).toEqual([[demoRecipient], [other]]);
  });

  it('a sops without set --value-stdin (< 3.11) leaves set to the built-in engine', async () => {
    rmSync(log, { force: true });
    const { file } = workspace();
    const run = await viaSops(['set', 'monitoring.grafana.adminPassword', '--file', file], { input: `${value}\n`, env: { FAKE_SOPS_VERSION: '3.10.2' } });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(calls()).toEqual([]);
    const { data } = await decryptFile(file, { workspaceRoot: root, env: env() });
    expect((data as { monitoring: { grafana: { adminPassword: string } } }).monitoring.grafana.adminPassword === value).toBe(true);
  });
});

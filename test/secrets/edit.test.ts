// hack/secrets edit, as `sops edit` users expect it: the decrypted document in $EDITOR, held only in a 0700
// directory on tmpfs that is gone after every way the command can end, and only the edited value re-encrypted.
// Editors here are small scripts; they log where the file was (path, modes, filesystem, a hash of its content),
// never the content.
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HomelabError } from '../../tools/homelab/src/core/model/errors.ts';
import { decryptFile, memoryBase } from '../../tools/homelab/src/core/secrets/index.ts';
import { hasPty, runOnTerminal } from '../support/pty.ts';
import { needlesOf, scanTree } from './plaintext-scan.ts';

const root = path.resolve(import.meta.dirname, '../..');
const hack = path.join(root, 'hack/secrets');
const fixtures = path.join(root, 'test/fixtures/sops/humphd-sops-age');
const TMPFS_MAGIC = 0x01021994;
const shmIsTmpfs = existsSync('/dev/shm') && Number(statfsSync('/dev/shm').type) === TMPFS_MAGIC;

let tmp: string;
/** The memory-backed base the children are given as XDG_RUNTIME_DIR: must be empty after every run. */
let runtime: string;

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: path.join(tmp, 'home'),
    TMPDIR: path.join(tmp, 'tmp'),
    XDG_RUNTIME_DIR: runtime,
    HOMELAB_SOPS_BACKEND: 'builtin',
    FORCE_COLOR: '0',
    ...extra,
  };
  for (const k of ['SOPS_AGE_KEY', 'SOPS_AGE_KEY_FILE', 'SOPS_AGE_KEY_CMD', 'XDG_CONFIG_HOME', 'SOPS_EDITOR', 'VISUAL']) if (!(k in extra)) delete e[k];
  return e;
}

/** An editor script: logs path, modes, filesystem and content hash of the file it was given, then runs `body`. */
function editor(name: string, body: string): string {
  const file = path.join(tmp, `${name}.sh`);
  const log = path.join(tmp, `${name}.log`);
  writeFileSync(
    file,
    `#!/bin/sh\nf="$1"\necho "$f $(stat -c %a "$f") $(stat -c %a "$(dirname "$f")") $(stat -f -c %T "$f") $(sha256sum < "$f" | cut -d' ' -f1)" >> '${log}'\n${body}\n`,
  );
  chmodSync(file, 0o755);
  return file;
}

function editorLog(name: string): { file: string; mode: string; dirMode: string; fs: string; sha256: string }[] {
  const log = path.join(tmp, `${name}.log`);
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [file, mode, dirMode, fs, sha256] = line.split(' ');
      return { file, mode, dirMode, fs, sha256 };
    });
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

function copyOf(source: string, name = path.basename(source)): string {
  const dir = mkdtempSync(path.join(tmp, 'copy-'));
  const file = path.join(dir, name);
  copyFileSync(source, file);
  return file;
}

/** The keys of the data lines (above the sops metadata) that differ; an edit of one scalar keeps the line count. */
function changedDataLines(before: string, after: string): string[] {
  const data = (text: string) => text.slice(0, text.search(/^sops:/m)).split('\n');
  const [a, b] = [data(before), data(after)];
  expect(b.length).toBe(a.length);
  return b.flatMap((line, i) => (line === a[i] ? [] : [line.replace(/:.*/, ':').trim()]));
}

/** The one line a shell would print for what `fn` throws. */
function lineOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as HomelabError).line();
  }
  return 'nothing thrown';
}

const same = (a: unknown, b: unknown) => isDeepStrictEqual(a, b);
/** The part of secrets.yaml the editors change. */
type Grafana = { monitoring: { grafana: { adminPassword: string } } };

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'secrets-edit-'));
  mkdirSync(path.join(tmp, 'home'));
  mkdirSync(path.join(tmp, 'tmp'));
  if (shmIsTmpfs) runtime = mkdtempSync('/dev/shm/secrets-edit-test-');
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  if (runtime) rmSync(runtime, { recursive: true, force: true });
});

describe.skipIf(!shmIsTmpfs || !hasPty)('secrets edit', () => {
  it('edits one value on a terminal: only its ciphertext changes, the plaintext lived only in a 0700 tmpfs dir', async () => {
    const file = copyOf(path.join(root, 'secrets.yaml'));
    const before = readFileSync(file, 'utf8');
    const decrypted = await decryptFile(file, { workspaceRoot: root, env: env() });
    const ed = editor('one-value', `sed -i 's/^\\(        adminPassword: \\).*/\\1edited-on-a-terminal/' "$f"`);
    const run = await runOnTerminal([process.execPath, hack, 'edit', file], [], { env: env({ EDITOR: ed }), cwd: tmp });
    expect(run.code, run.shown).toBe(0);
    expect(run.shown).toMatch(/saved, 1 value\(s\) re-encrypted/);
    // The editor worked on the decrypted document, in a private directory on tmpfs, named like the secret file.
    const [seen] = editorLog('one-value');
    expect(seen).toMatchObject({ mode: '600', dirMode: '700', fs: 'tmpfs', sha256: sha256(decrypted.plaintext) });
    expect(path.basename(seen.file)).toBe('secrets.yaml');
    expect(seen.file.startsWith(`${runtime}/homelab-edit-`)).toBe(true);
    expect(readdirSync(runtime)).toEqual([]);
    // Only that value's ciphertext (and lastmodified/MAC) changed; it decrypts with the MAC verified.
    const after = readFileSync(file, 'utf8');
    expect(changedDataLines(before, after)).toEqual(['adminPassword:']);
    expect(after.match(/^ +lastmodified: .*$/m)?.[0]).not.toBe(before.match(/^ +lastmodified: .*$/m)?.[0]);
    const data = (await decryptFile(file, { workspaceRoot: root, env: env() })).data;
    const expected = structuredClone(decrypted.data) as Grafana;
    expected.monitoring.grafana.adminPassword = 'edited-on-a-terminal';
    expect(same(data, expected)).toBe(true);
    // No decrypted value anywhere else: the copy's directory, the children's TMPDIR and HOME, the terminal.
    const needles = needlesOf(decrypted.leaves);
    expect(needles.length).toBeGreaterThan(10);
    expect(scanTree(tmp, needles)).toEqual([]);
    expect(scanTree(runtime, needles)).toEqual([]);
  });

  it('keeps every other ciphertext of a file real sops wrote (2-space YAML, sops 3.8.1)', async () => {
    const file = copyOf(path.join(fixtures, 'secret.enc.yaml'));
    const before = readFileSync(file, 'utf8');
    const keyEnv = { SOPS_AGE_KEY_FILE: path.join(fixtures, 'key.txt') };
    const ed = editor('fixture', `sed -i 's/^string: .*/string: edited/' "$f"`);
    const run = await runOnTerminal([process.execPath, hack, 'edit', file], [], { env: env({ ...keyEnv, EDITOR: ed }), cwd: tmp });
    expect(run.code, run.shown).toBe(0);
    expect(changedDataLines(before, readFileSync(file, 'utf8'))).toEqual(['string:']);
    const upstream = JSON.parse(readFileSync(path.join(fixtures, 'secret.enc.yaml.expected.json'), 'utf8')).plaintext;
    expect((await decryptFile(file, { workspaceRoot: root, env: env(keyEnv) })).data).toEqual({ ...upstream, string: 'edited' });
    expect(readdirSync(runtime)).toEqual([]);
  });

  it('writes nothing when the document is saved unchanged', async () => {
    const file = copyOf(path.join(root, 'secrets.yaml'));
    const before = readFileSync(file);
    const run = await runOnTerminal([process.execPath, hack, 'edit', '--file', file], [], { env: env({ EDITOR: editor('noop', 'true') }), cwd: tmp });
    expect(run.code, run.shown).toBe(0);
    expect(run.shown).toMatch(/no change, nothing written/);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(readdirSync(runtime)).toEqual([]);
  });

  it('reports invalid YAML without quoting it and reopens the editor on request, as sops does', async () => {
    const file = copyOf(path.join(root, 'secrets.yaml'));
    const count = path.join(tmp, 'invalid-count');
    const ed = editor(
      'invalid',
      `if [ ! -e '${count}' ]; then touch '${count}'; printf 'broken: [unclosed\\n' >> "$f"; else sed -i '$d' "$f"; sed -i 's/^\\(        adminPassword: \\).*/\\1fixed-after-reopen/' "$f"; fi`,
    );
    const run = await runOnTerminal([process.execPath, hack, 'edit', file], [['Return to the editor?', 'y\r']], { env: env({ EDITOR: ed }), cwd: tmp });
    expect(run.code, run.shown).toBe(0);
    expect(run.shown).toMatch(/malformed YAML/);
    expect(editorLog('invalid')).toHaveLength(2);
    const data = (await decryptFile(file, { workspaceRoot: root, env: env() })).data as Grafana;
    expect(data.monitoring.grafana.adminPassword === 'fixed-after-reopen').toBe(true);
    expect(readdirSync(runtime)).toEqual([]);
  });

  it('leaves the file untouched when the editor exits non-zero, and removes the directory', async () => {
    const file = copyOf(path.join(root, 'secrets.yaml'));
    const before = readFileSync(file);
    const ed = editor('failing', `sed -i 's/^\\(        adminPassword: \\).*/\\1never-saved/' "$f"; exit 3`);
    const run = await execa(process.execPath, [hack, 'edit', file], { env: env({ EDITOR: ed }), extendEnv: false, reject: false, cwd: tmp });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/the editor failing\.sh exited with 3; nothing written/);
    expect(editorLog('failing')).toHaveLength(1);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(readdirSync(runtime)).toEqual([]);
  });

  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)('removes the directory and stops the editor on %s to the CLI', async (signal) => {
    const file = copyOf(path.join(root, 'secrets.yaml'));
    const before = readFileSync(file);
    const name = `waiting-${signal}`;
    const pidFile = path.join(tmp, `${name}.pid`);
    // The editor changes the file, says it is ready and waits (exec: the editor process is the sleep).
    const ed = editor(name, `sed -i 's/^\\(        adminPassword: \\).*/\\1interrupted/' "$f"; echo $$ > '${pidFile}'; exec sleep 120`);
    const child = execa(process.execPath, [hack, 'edit', file], { env: env({ EDITOR: ed }), extendEnv: false, reject: false, cwd: tmp });
    while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8').trim() === '') await new Promise((r) => setTimeout(r, 50));
    const [seen] = editorLog(name);
    expect(existsSync(seen.file)).toBe(true);
    child.kill(signal);
    const result = await child;
    expect(result.signal).toBe(signal);
    expect(existsSync(path.dirname(seen.file))).toBe(false);
    expect(readdirSync(runtime)).toEqual([]);
    expect(readFileSync(file).equals(before)).toBe(true);
    // The editor got the signal too.
    const editorPid = Number(readFileSync(pidFile, 'utf8'));
    await expect.poll(() => existsSync(`/proc/${editorPid}`) && !readFileSync(`/proc/${editorPid}/stat`, 'utf8').includes(') Z ')).toBe(false);
  });

  it('a directory SIGKILL left behind is removed by the next edit', async () => {
    const file = copyOf(path.join(root, 'secrets.yaml'));
    const pidFile = path.join(tmp, 'killed.pid');
    const ed = editor('killed', `echo $$ > '${pidFile}'; exec sleep 120`);
    const child = execa(process.execPath, [hack, 'edit', file], { env: env({ EDITOR: ed }), extendEnv: false, reject: false, cwd: tmp });
    while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8').trim() === '') await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    // The orphaned editor holds the command's output pipes: it goes too.
    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
    await child;
    const [left] = editorLog('killed');
    expect(existsSync(left.file)).toBe(true);
    const run = await execa(process.execPath, [hack, 'edit', file], {
      env: env({ EDITOR: editor('after-kill', 'true') }),
      extendEnv: false,
      reject: false,
      cwd: tmp,
    });
    expect(run.stderr).toMatch(/no change, nothing written/);
    expect(existsSync(path.dirname(left.file))).toBe(false);
    expect(readdirSync(runtime)).toEqual([]);
  });

  it('refuses in one line where no memory-backed directory exists, pointing at secrets set', () => {
    const disk = mkdtempSync(path.join(root, 'tmp-not-tmpfs-'));
    try {
      if (Number(statfsSync(disk).type) === TMPFS_MAGIC) return;
      expect(lineOf(() => memoryBase([disk]))).toMatch(
        /^no memory-backed directory to hold the decrypted file .* none is tmpfs\) — change values with secrets set <path>/,
      );
      expect(memoryBase([disk, runtime])).toBe(runtime);
    } finally {
      rmSync(disk, { recursive: true, force: true });
    }
  });

  it('the Nx target refuses edit (it records the task terminal)', async () => {
    const { parseSecretsArgs, secrets } = await import('../../tools/homelab/src/core/commands/secrets.ts');
    const ctx = {
      root,
      cwd: tmp,
      shell: 'nx' as const,
      stdoutIsTerminal: false,
      write: () => {},
      info: () => {},
      readValue: async () => '',
      readStdin: async () => Buffer.alloc(0),
    };
    const refused = await secrets(parseSecretsArgs({}, ['edit']), ctx).then(
      () => 'nothing thrown',
      (err: HomelabError) => err.line(),
    );
    expect(refused).toMatch(/^the Nx target cannot run an editor .* — use hack\/secrets edit/);
  });
});

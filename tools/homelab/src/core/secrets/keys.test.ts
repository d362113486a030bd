/** Key discovery in sops' order, with real files, env vars and a real key command in temp dirs. */
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HomelabError } from '../model/errors.ts';
import { defaultKeysFile, discoverAgeKeys, keyFingerprint, parseIdentities, shellWords } from './keys.ts';

const FIXTURES = resolve(import.meta.dirname, '../../../../../test/fixtures/sops');
const VECTORS = join(FIXTURES, 'getsops-sops-age-vectors');
const tmp = mkdtempSync(join(tmpdir(), 'sops-keys-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let k1: string, k2: string, k3: string, k4: string;
const home = join(tmp, 'home');
const xdg = join(tmp, 'xdg');
const workspace = join(tmp, 'workspace');
beforeAll(async () => {
  [k1, k2, k3, k4] = await Promise.all([1, 2, 3, 4].map(() => generateX25519Identity()));
  mkdirSync(join(home, '.config/sops/age'), { recursive: true });
  writeFileSync(join(home, '.config/sops/age/keys.txt'), `# created: today\n# public key: age1…\n${k4}\n`);
  mkdirSync(join(xdg, 'sops/age'), { recursive: true });
  mkdirSync(workspace, { recursive: true });
  writeFileSync(join(workspace, 'demo-age-key.txt'), readFileSync(resolve(import.meta.dirname, '../../../../../demo-age-key.txt')));
});

describe('discoverAgeKeys', () => {
  it('merges SOPS_AGE_KEY (several keys), SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD and the user keys.txt, in that order', async () => {
    const keyFile = join(tmp, 'file-keys.txt');
    writeFileSync(keyFile, `${k2}\n`);
    const script = join(tmp, 'keycmd.sh');
    writeFileSync(script, `#!/bin/sh\necho "# for $SOPS_AGE_RECIPIENT"\necho "${k3}"\n`);
    chmodSync(script, 0o755);
    const found = await discoverAgeKeys({
      workspaceRoot: workspace,
      env: { SOPS_AGE_KEY: `${k1}\n  ${k1}`, SOPS_AGE_KEY_FILE: keyFile, SOPS_AGE_KEY_CMD: `sh '${script}'`, PATH: process.env.PATH },
      platform: 'linux',
      home,
    });
    expect(found.identities).toEqual([k1, k2, k3, k4]);
    expect(found.sources).toEqual(['SOPS_AGE_KEY', keyFile, 'SOPS_AGE_KEY_CMD', join(home, '.config/sops/age/keys.txt')]);
    expect(found.searched).toEqual(['SOPS_AGE_KEY', `SOPS_AGE_KEY_FILE=${keyFile}`, 'SOPS_AGE_KEY_CMD', join(home, '.config/sops/age/keys.txt')]);
    expect(found.usedDemoKey).toBe(false);
  });

  it('runs SOPS_AGE_KEY_CMD once per recipient with SOPS_AGE_RECIPIENT set', async () => {
    const script = join(tmp, 'per-recipient.sh');
    writeFileSync(script, `#!/bin/sh\nif [ "$SOPS_AGE_RECIPIENT" = "age1first" ]; then echo "${k1}"; else echo "${k2}"; fi\n`);
    chmodSync(script, 0o755);
    const found = await discoverAgeKeys({
      workspaceRoot: workspace,
      env: { SOPS_AGE_KEY_CMD: script, PATH: process.env.PATH },
      platform: 'linux',
      home: join(tmp, 'nohome'),
      recipients: ['age1first', 'age1second'],
    });
    expect(found.identities).toEqual([k1, k2]);
  });

  it('$XDG_CONFIG_HOME wins over ~/.config; macOS uses Library/Application Support', async () => {
    writeFileSync(join(xdg, 'sops/age/keys.txt'), `${k3}\n`);
    const linux = await discoverAgeKeys({ workspaceRoot: workspace, env: { XDG_CONFIG_HOME: xdg }, platform: 'linux', home });
    expect(linux.identities).toEqual([k3]);
    expect(defaultKeysFile({}, 'darwin', '/Users/me')).toBe('/Users/me/Library/Application Support/sops/age/keys.txt');
    expect(defaultKeysFile({ XDG_CONFIG_HOME: '/x' }, 'darwin', '/Users/me')).toBe('/x/sops/age/keys.txt');
    expect(defaultKeysFile({ XDG_CONFIG_HOME: 'relative' }, 'linux', '/home/me')).toBe('/home/me/.config/sops/age/keys.txt');
  });

  it('falls back to the demo key only when nothing else was found, and says where it looked', async () => {
    const none = await discoverAgeKeys({ workspaceRoot: workspace, env: {}, platform: 'linux', home: join(tmp, 'nohome') });
    expect(none.usedDemoKey).toBe(true);
    expect(none.identities).toHaveLength(1);
    expect(none.sources).toEqual([join(workspace, 'demo-age-key.txt')]);
    expect(none.searched).toEqual([join(tmp, 'nohome/.config/sops/age/keys.txt'), join(workspace, 'demo-age-key.txt')]);
    const withUserKey = await discoverAgeKeys({ workspaceRoot: workspace, env: {}, platform: 'linux', home });
    expect(withUserKey.usedDemoKey).toBe(false);
    expect(withUserKey.searched).not.toContain(join(workspace, 'demo-age-key.txt'));
  });

  it('never falls back past an explicit setting: each refusal is one line naming the variable, without key material', async () => {
    const empty = join(tmp, 'empty-keys.txt');
    writeFileSync(empty, '# created: today\n# public key: age1…\n');
    const quiet = join(tmp, 'quiet.sh');
    writeFileSync(quiet, '#!/bin/sh\necho "no key here"\n');
    chmodSync(quiet, 0o755);
    const cases: [NodeJS.ProcessEnv, string][] = [
      [{ SOPS_AGE_KEY_FILE: join(tmp, 'missing.txt') }, `SOPS_AGE_KEY_FILE=${join(tmp, 'missing.txt')}: file not found — point SOPS_AGE_KEY_FILE at`],
      [{ SOPS_AGE_KEY_FILE: tmp }, `SOPS_AGE_KEY_FILE=${tmp}: is a directory`],
      [{ SOPS_AGE_KEY_FILE: empty }, `SOPS_AGE_KEY_FILE=${empty} holds no age identity`],
      [{ SOPS_AGE_KEY_CMD: 'false' }, 'SOPS_AGE_KEY_CMD="false" failed (exit 1)'],
      [{ SOPS_AGE_KEY_CMD: 'no-such-command-anywhere' }, 'SOPS_AGE_KEY_CMD="no-such-command-anywhere" could not run (ENOENT)'],
      [{ SOPS_AGE_KEY_CMD: quiet }, `SOPS_AGE_KEY_CMD="${quiet}" printed no age identity`],
      [{ SOPS_AGE_KEY: 'AGE-SECRET-KEY-1QQQQ' }, 'SOPS_AGE_KEY holds an invalid age identity (AGE-SECRET-KEY-…: wrong length or checksum)'],
      [{ SOPS_AGE_KEY: `${k1.slice(0, -1)}${k1.endsWith('Q') ? 'P' : 'Q'}` }, 'SOPS_AGE_KEY holds an invalid age identity'],
      [{ SOPS_AGE_KEY: 'not-a-key' }, 'SOPS_AGE_KEY holds no age identity'],
      [{ SOPS_AGE_KEY_CMD: `echo ${k1.slice(0, -2)}` }, 'SOPS_AGE_KEY_CMD holds an invalid age identity'],
      [{ SOPS_AGE_KEY_CMD: `sh -c 'exit 3' ${k1}` }, 'SOPS_AGE_KEY_CMD="sh -c \'exit 3\' AGE-SECRET-KEY-…" failed (exit 3)'],
    ];
    for (const [env, line] of cases) {
      const discover = discoverAgeKeys({ workspaceRoot: workspace, env: { PATH: process.env.PATH, ...env }, platform: 'linux', home });
      const err = await discover.then(
        () => undefined,
        (e: unknown) => e as HomelabError,
      );
      expect(err, line).toBeInstanceOf(HomelabError);
      expect(err!.line()).toContain(line);
      expect(err!.line()).not.toMatch(/\n|AGE-SECRET-KEY-1[0-9A-Z]{4}/);
    }
  });

  it('a SOPS_AGE_KEY_CMD that does not finish is stopped, even when a child keeps its output open', async () => {
    const pidFile = join(tmp, 'holder.pid');
    const script = join(tmp, 'hang.sh');
    writeFileSync(script, `#!/bin/sh\nsleep 600 2>/dev/null &\necho $! > '${pidFile}'\nexec sleep 600 2>/dev/null\n`);
    chmodSync(script, 0o755);
    try {
      const discover = discoverAgeKeys({
        workspaceRoot: workspace,
        env: { PATH: process.env.PATH, SOPS_AGE_KEY_CMD: script },
        platform: 'linux',
        home,
        commandTimeoutMs: 1000,
      });
      await expect(discover).rejects.toThrow(`SOPS_AGE_KEY_CMD="${script}" timed out after 1 s`);
    } finally {
      // Killed before it started its child, the script leaves no pid and no process.
      if (existsSync(pidFile)) process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
    }
  });

  it('a user keys file without any identity is refused, not replaced by the demo key', async () => {
    const emptyHome = join(tmp, 'empty-home');
    mkdirSync(join(emptyHome, '.config/sops/age'), { recursive: true });
    writeFileSync(join(emptyHome, '.config/sops/age/keys.txt'), '\n');
    await expect(discoverAgeKeys({ workspaceRoot: workspace, env: {}, platform: 'linux', home: emptyHome })).rejects.toThrow(
      `${join(emptyHome, '.config/sops/age/keys.txt')} holds no age identity`,
    );
  });

  it('empty variables count as unset', async () => {
    const r = await discoverAgeKeys({
      workspaceRoot: workspace,
      env: { SOPS_AGE_KEY: '', SOPS_AGE_KEY_FILE: '', SOPS_AGE_KEY_CMD: '' },
      platform: 'linux',
      home: join(tmp, 'nohome'),
    });
    expect(r.usedDemoKey).toBe(true);
  });
});

describe('keyFingerprint', () => {
  it('hashes the public recipients (order and duplicates aside), "none" without a key, never the key itself', async () => {
    const fp = await keyFingerprint([k1, k2]);
    expect(fp).toMatch(/^[0-9a-f]{16}$/);
    expect(await keyFingerprint([k2, k1, k2])).toBe(fp);
    expect(await keyFingerprint([k1])).not.toBe(fp);
    expect(await keyFingerprint([])).toBe('none');
    const recipients = (await Promise.all([k1, k2].map((k) => identityToRecipient(k)))).sort().join('\n');
    expect(fp).toBe(createHash('sha256').update(recipients).digest('hex').slice(0, 16));
  });
});

describe('identity files', () => {
  it('unlocks a passphrase-protected (scrypt) identity file from the sops test vectors', async () => {
    const asked: string[] = [];
    const ids = await parseIdentities(readFileSync(join(VECTORS, 'encrypted-identity.age.asc')), 'vector', async (source) => {
      asked.push(source);
      return readFileSync(join(VECTORS, 'identity-passphrase.txt'), 'utf8').trim();
    });
    expect(asked).toEqual(['vector']);
    expect(ids).toEqual([readFileSync(join(VECTORS, 'identity.txt'), 'utf8').trim()]);
  });

  it('a protected file without a prompt or with a wrong passphrase fails clearly', async () => {
    const file = readFileSync(join(VECTORS, 'encrypted-identity.age.asc'));
    await expect(parseIdentities(file, 'vector')).rejects.toThrow(/passphrase-protected/);
    await expect(parseIdentities(file, 'vector', async () => 'wrong')).rejects.toThrow(/incorrect passphrase/);
  });

  const hasTty = (() => {
    try {
      closeSync(openSync('/dev/tty', 'r'));
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(hasTty)('without a prompt and without a terminal, a protected key file fails clearly', async () => {
    const discover = discoverAgeKeys({
      workspaceRoot: workspace,
      env: { SOPS_AGE_KEY_FILE: join(VECTORS, 'encrypted-identity.age.asc') },
      platform: 'linux',
      home: join(tmp, 'nohome'),
    });
    await expect(discover).rejects.toThrow(/no terminal to ask for its passphrase/);
  });

  it('discovery passes the prompt to SOPS_AGE_KEY_FILE', async () => {
    const r = await discoverAgeKeys({
      workspaceRoot: workspace,
      env: { SOPS_AGE_KEY_FILE: join(VECTORS, 'encrypted-identity.age.asc') },
      platform: 'linux',
      home: join(tmp, 'nohome'),
      passphrase: async () => 'passphrase',
    });
    expect(r.identities).toEqual([readFileSync(join(VECTORS, 'identity.txt'), 'utf8').trim()]);
  });

  it('skips comments, blank lines and non-identities; keeps hybrid identities', async () => {
    const hybrid = readFileSync(join(VECTORS, 'hybrid-identity.txt'), 'utf8').trim();
    const ids = await parseIdentities(`# comment\n\n  ${k1}  \nAGE-PLUGIN-YUBIKEY-1XYZ\n${hybrid}\n`, 'x');
    expect(ids).toEqual([k1, hybrid]);
  });
});

describe('shellWords (SOPS_AGE_KEY_CMD)', () => {
  it.each([
    ['op read "op://vault/age key"', ['op', 'read', 'op://vault/age key']],
    ["sh -c 'echo $X'", ['sh', '-c', 'echo $X']],
    ['a\\ b c', ['a b', 'c']],
    ['  spaced   out  ', ['spaced', 'out']],
  ])('%s', (cmd, words) => {
    expect(shellWords(cmd)).toEqual(words);
  });
});

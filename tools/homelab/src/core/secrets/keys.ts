/**
 * age identity discovery like sops (`loadIdentities`): SOPS_AGE_KEY, SOPS_AGE_KEY_FILE,
 * SOPS_AGE_KEY_CMD, then the user config keys.txt; identities from every source found are used.
 * Only when none is found does the repository's demo key count. Identities stay in memory.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { ReadStream, WriteStream } from 'node:tty';
import { isAbsolute, join } from 'node:path';
import { HomelabError } from '../model/errors.ts';
import { decryptAll, recipientOf } from './age.ts';

export const DEMO_KEY_FILE = 'demo-age-key.txt';

export interface DiscoverOptions {
  /** Workspace root holding `demo-age-key.txt` (the last resort). */
  workspaceRoot: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  home?: string;
  /** Recipients of the file being decrypted: SOPS_AGE_KEY_CMD runs once per recipient with SOPS_AGE_RECIPIENT. */
  recipients?: readonly string[];
  /** Asked for the passphrase of an age-encrypted (scrypt) identity file (default: the terminal). */
  passphrase?: (source: string) => Promise<string>;
  /** Limit for SOPS_AGE_KEY_CMD (default KEY_CMD_TIMEOUT_MS). */
  commandTimeoutMs?: number;
}

export interface KeyDiscovery {
  /** AGE-SECRET-KEY-… strings. Secret: never log, never pass on argv. */
  identities: string[];
  /** Where identities were found (env var names and paths, never contents). */
  sources: string[];
  /** Every place looked at, in order, with a note when a place was unusable. */
  searched: string[];
  usedDemoKey: boolean;
}

const IDENTITY = /^AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]+$/;

/** Parse an identity file; age-encrypted ones (armored or binary) are unlocked with a passphrase via scrypt. */
export async function parseIdentities(content: string | Uint8Array, source: string, passphrase?: (source: string) => Promise<string>): Promise<string[]> {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
  const head = bytes.subarray(0, 64).toString('latin1').trimStart();
  if (head.startsWith('age-encryption.org/') || head.startsWith('-----BEGIN AGE ENCRYPTED FILE-----')) {
    if (!passphrase) {
      throw new HomelabError(
        `${source} is a passphrase-protected age identity file and no passphrase prompt is available`,
        'run from a terminal, or point SOPS_AGE_KEY_FILE at an unencrypted identity file',
      );
    }
    const { armor, Decrypter } = await import('age-encryption');
    const d = new Decrypter();
    d.addPassphrase(await passphrase(source));
    const encrypted = head.startsWith('-----BEGIN') ? armor.decode(bytes.toString('utf8')) : new Uint8Array(bytes);
    let plain: string;
    try {
      plain = Buffer.from(await decryptAll(d, encrypted)).toString('utf8');
    } catch {
      throw new HomelabError(`${source}: incorrect passphrase for the age identity file`, 'retry with the right passphrase');
    }
    return parseIdentities(plain, source);
  }
  const out: string[] = [];
  for (const raw of bytes.toString('utf8').split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    for (const word of line.split(/\s+/)) {
      if (!/^AGE-SECRET-KEY-/i.test(word)) continue;
      if (
        !IDENTITY.test(word) ||
        !(await recipientOf(word).then(
          () => true,
          () => false,
        ))
      ) {
        // age's own message quotes the identity: say only where it is.
        throw new HomelabError(
          `${source} holds an invalid age identity (AGE-SECRET-KEY-…: wrong length or checksum)`,
          'copy the whole secret key line again from your keys file',
        );
      }
      out.push(word);
    }
  }
  return out;
}

/**
 * Ask for an identity file's passphrase on the controlling terminal (/dev/tty, echo off), as sops
 * does when no gpg-agent is available. Fails cleanly when there is no terminal (CI).
 */
export async function ttyPassphrase(source: string): Promise<string> {
  let inFd: number;
  let outFd: number;
  try {
    inFd = openSync('/dev/tty', 'r');
    outFd = openSync('/dev/tty', 'w');
  } catch {
    throw new HomelabError(
      `${source} is a passphrase-protected age identity file and there is no terminal to ask for its passphrase`,
      'run from a terminal, or point SOPS_AGE_KEY_FILE at an unencrypted identity file',
    );
  }
  const input = new ReadStream(inFd);
  const output = new WriteStream(outFd);
  output.write(`Enter passphrase for identity ${source}: `);
  input.setRawMode(true);
  return new Promise<string>((resolvePass, reject) => {
    let pass = '';
    const finish = (err?: Error): void => {
      input.setRawMode(false);
      input.destroy();
      output.end('\n');
      if (err) reject(err);
      else resolvePass(pass);
    };
    input.on('data', (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003') return finish(new HomelabError('passphrase entry interrupted', 'run the command again'));
        if (ch === '\u007f' || ch === '\b') pass = pass.slice(0, -1);
        else pass += ch;
      }
    });
  }).finally(() => {
    for (const fd of [inFd, outFd]) {
      try {
        closeSync(fd);
      } catch {
        // already closed by its stream
      }
    }
  });
}

/** sops' default keys file: $XDG_CONFIG_HOME/sops/age/keys.txt, else the OS user config dir. */
export function defaultKeysFile(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, home: string): string | undefined {
  const xdg = env.XDG_CONFIG_HOME;
  let dir: string | undefined;
  if (platform === 'win32') dir = env.AppData ?? env.APPDATA;
  else if (xdg && isAbsolute(xdg)) dir = xdg;
  else if (platform === 'darwin') dir = join(home, 'Library', 'Application Support');
  else if (home) dir = join(home, '.config');
  return dir === undefined ? undefined : join(dir, 'sops', 'age', 'keys.txt');
}

/** Split a command line like google/shlex (no shell is involved); `variable` names where it came from. */
export function shellWords(cmd: string, variable = 'SOPS_AGE_KEY_CMD'): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | '' = '';
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i];
    if (quote === "'") {
      if (c === "'") quote = '';
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = '';
      else if (c === '\\' && i + 1 < cmd.length && '"\\$`\n'.includes(cmd[i + 1])) cur += cmd[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < cmd.length) {
      cur += cmd[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new HomelabError(`${variable} has an unclosed ${quote} quote`, `fix the quoting of ${variable}`);
  if (inWord) words.push(cur);
  return words;
}

/**
 * Which keys a run holds, safe to print and to hash: the public recipients of the identities, hashed; "none"
 * without any. Nx hashes it into every task that decrypts, so a cached render never outlives its key.
 */
export async function keyFingerprint(identities: readonly string[]): Promise<string> {
  if (identities.length === 0) return 'none';
  const recipients = await Promise.all(identities.map(recipientOf));
  return createHash('sha256')
    .update([...new Set(recipients)].sort().join('\n'))
    .digest('hex')
    .slice(0, 16);
}

/** How long SOPS_AGE_KEY_CMD may take (a password manager may wait for a touch or a biometric prompt). */
export const KEY_CMD_TIMEOUT_MS = 60_000;

/**
 * Like sops, an explicit key setting that yields no identity is an error, never a reason to fall back to another
 * key: the demo key counts only when no setting is present at all. Empty variables count as unset.
 */
export async function discoverAgeKeys(opts: DiscoverOptions): Promise<KeyDiscovery> {
  const env = opts.env ?? process.env;
  const platform = opts.platform ?? process.platform;
  const home = opts.home ?? env.HOME ?? homedir();
  const passphrase = opts.passphrase ?? ttyPassphrase;
  const result: KeyDiscovery = { identities: [], sources: [], searched: [], usedDemoKey: false };
  const take = (ids: string[], source: string): void => {
    for (const id of ids) if (!result.identities.includes(id)) result.identities.push(id);
    result.sources.push(source);
  };

  if (env.SOPS_AGE_KEY) {
    result.searched.push('SOPS_AGE_KEY');
    const ids = await parseIdentities(env.SOPS_AGE_KEY.split(/\s+/).join('\n'), 'SOPS_AGE_KEY', passphrase);
    if (ids.length === 0)
      throw new HomelabError('SOPS_AGE_KEY holds no age identity', 'set it to your age identity (the secret key line age-keygen writes), or unset it');
    take(ids, 'SOPS_AGE_KEY');
  }

  const keyFile = env.SOPS_AGE_KEY_FILE;
  if (keyFile) {
    result.searched.push(`SOPS_AGE_KEY_FILE=${keyFile}`);
    const ids = await parseIdentities(readKeyFile(keyFile, `SOPS_AGE_KEY_FILE=${keyFile}`), `SOPS_AGE_KEY_FILE=${keyFile}`, passphrase);
    if (ids.length === 0) {
      throw new HomelabError(
        `SOPS_AGE_KEY_FILE=${keyFile} holds no age identity`,
        'point SOPS_AGE_KEY_FILE at your age keys file (the secret key lines age-keygen writes), or unset it',
      );
    }
    take(ids, keyFile);
  }

  const keyCmd = env.SOPS_AGE_KEY_CMD;
  if (keyCmd) {
    result.searched.push('SOPS_AGE_KEY_CMD');
    const runs = opts.recipients?.length ? opts.recipients : [undefined];
    for (const recipient of runs) take(await runKeyCommand(keyCmd, env, recipient, passphrase, opts.commandTimeoutMs), 'SOPS_AGE_KEY_CMD');
  }

  const userFile = defaultKeysFile(env, platform, home);
  if (userFile) {
    result.searched.push(userFile);
    if (existsSync(userFile)) {
      const ids = await parseIdentities(readKeyFile(userFile, userFile), userFile, passphrase);
      if (ids.length === 0)
        throw new HomelabError(
          `${userFile} holds no age identity`,
          'put your age identity (the secret key line age-keygen writes) in it, or delete the empty file',
        );
      take(ids, userFile);
    }
  }

  // Every explicit setting above either gave identities or threw: nothing found means nothing was set.
  if (result.identities.length === 0) {
    const demo = join(opts.workspaceRoot, DEMO_KEY_FILE);
    result.searched.push(demo);
    if (existsSync(demo)) {
      take(await parseIdentities(readFileSync(demo), demo), demo);
      result.usedDemoKey = result.identities.length > 0;
    }
  }
  return result;
}

function readKeyFile(file: string, name: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory' : `cannot read the file (${code ?? 'error'})`;
    throw new HomelabError(
      `${name}: ${why}`,
      name.startsWith('SOPS_AGE_KEY_FILE=') ? 'point SOPS_AGE_KEY_FILE at your age keys file, or unset it' : 'fix the file or its permissions',
    );
  }
}

/** The command as it may be shown: any identity written into it is cut to its prefix. */
function shownCommand(cmd: string): string {
  return JSON.stringify(cmd.replace(/AGE-SECRET-KEY-[0-9A-Z-]*/gi, 'AGE-SECRET-KEY-…'));
}

/** Runs SOPS_AGE_KEY_CMD as sops does (no shell, SOPS_AGE_RECIPIENT set when known); its identities, or one line. */
async function runKeyCommand(
  keyCmd: string,
  env: NodeJS.ProcessEnv,
  recipient: string | undefined,
  passphrase: (source: string) => Promise<string>,
  timeoutMs = KEY_CMD_TIMEOUT_MS,
): Promise<string[]> {
  const name = `SOPS_AGE_KEY_CMD=${shownCommand(keyCmd)}`;
  const argv = shellWords(keyCmd);
  if (argv.length === 0) throw new HomelabError(`${name} is blank`, 'set it to a command printing your age identity, or unset it');
  // Loaded only here: execa is a hundred modules every other caller would pay for at startup.
  const { execa } = await import('execa');
  const child = execa(argv[0], argv.slice(1), {
    env: recipient === undefined ? env : { ...env, SOPS_AGE_RECIPIENT: recipient },
    extendEnv: false,
    stdin: 'ignore',
    stderr: 'inherit',
    reject: false,
  });
  // Not execa's timeout: a grandchild holding stdout open would keep us waiting after the kill.
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolveTimeout) => {
    timer = setTimeout(() => resolveTimeout('timeout'), timeoutMs);
  });
  const done = await Promise.race([child, timedOut]).finally(() => clearTimeout(timer));
  if (done === 'timeout') {
    child.kill('SIGKILL');
    child.stdout?.destroy();
    throw new HomelabError(
      `${name} timed out after ${Math.round(timeoutMs / 1000)} s`,
      'make the command print the identity without waiting, or unset SOPS_AGE_KEY_CMD',
    );
  }
  if (done.exitCode !== 0 || typeof done.stdout !== 'string') {
    const why = done.exitCode === undefined ? `could not run (${done.code ?? 'signal'})` : `failed (exit ${done.exitCode})`;
    throw new HomelabError(`${name} ${why}`, 'fix the command (run it by hand to see its message), or unset SOPS_AGE_KEY_CMD');
  }
  const ids = await parseIdentities(done.stdout, 'SOPS_AGE_KEY_CMD', passphrase);
  if (ids.length === 0)
    throw new HomelabError(`${name} printed no age identity`, 'make it print your age identity (the secret key line age-keygen writes), or unset it');
  return ids;
}

import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { errorLine, HomelabError } from '../core/model/errors.ts';

/**
 * The variable template targets that decrypt hash (an `env` input): which age keys the run would decrypt with, as a
 * hash of their public recipients ("none" without a key), never the keys. A cached render is replayed only for the
 * keys that made it; a key setting that is refused gives a hash of its one-line error instead, so Nx never replays a
 * cached render for it: the task runs and fails with that line.
 */
export const AGE_KEYS_ENV = 'HOMELAB_AGE_KEYS';

/**
 * The variable of the template target `name` (`HOMELAB_AGE_KEYS` for `template`): two plugin entries naming their
 * template targets differently each set their own, so a command naming only one never overwrites the other's
 * fingerprint with a value of its own.
 */
export function ageKeysVariable(name: string): string {
  return name === 'template' ? AGE_KEYS_ENV : `${AGE_KEYS_ENV}_${name.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;
}

// A passphrase is asked by the task itself, not by Nx while it hashes.
const noPrompt = async (source: string): Promise<string> => {
  throw new HomelabError(`${source} is passphrase-protected`);
};

/** The repository's age key of last resort (core/secrets/keys.ts reads it only when no key is set). */
const DEMO_KEY_FILE = 'demo-age-key.txt';

/**
 * The keys' fingerprint for the run, set by the plugin's pre-task hook once per command (a runtime input instead
 * cost a shell forked from the Nx process for every command that hashed a template, or a Node start with a key set).
 * With no key setting and no user keys file only the demo key can decrypt: its file's hash stands for it (that key is
 * public, committed to git), computed on every command. Finding any other key loads the secrets layer and may run
 * SOPS_AGE_KEY_CMD, which can wait for a password manager: done only when `argv` may hash `templateTarget` (names it
 * anywhere). Any other command gets a value of its own: a template hashed there anyway (a custom target depending on
 * it) runs rather than replaying a render made with other keys.
 */
export async function ageKeysEnv(
  workspaceRoot: string,
  argv: readonly string[],
  templateTarget: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Record<string, string>> {
  return { [ageKeysVariable(templateTarget)]: await fingerprint(workspaceRoot, argv, templateTarget, env) };
}

async function fingerprint(workspaceRoot: string, argv: readonly string[], templateTarget: string, env: NodeJS.ProcessEnv): Promise<string> {
  if (demoKeyOnly(env)) {
    const demo = path.join(workspaceRoot, DEMO_KEY_FILE);
    return existsSync(demo) ? `demo-${createHash('sha256').update(readFileSync(demo)).digest('hex')}` : 'none';
  }
  if (!argv.some((arg) => arg.split(/[:=,]/).includes(templateTarget))) return `unresolved-${randomUUID()}`;
  try {
    // The secrets layer is loaded by the hook only, never by the project graph's computation.
    const { discoverAgeKeys, keyFingerprint } = await import('../core/secrets/index.ts');
    const keys = await discoverAgeKeys({ workspaceRoot, env, passphrase: noPrompt });
    return await keyFingerprint(keys.identities);
  } catch (err) {
    return `refused-${createHash('sha256').update(errorLine(err)).digest('hex').slice(0, 16)}`;
  }
}

/**
 * No key setting and no user keys file where sops would look for one on any platform (a superset of the one place
 * core/secrets/keys.ts reads on this one: finding a file there only takes the full path).
 */
function demoKeyOnly(env: NodeJS.ProcessEnv): boolean {
  if (env.SOPS_AGE_KEY || env.SOPS_AGE_KEY_FILE || env.SOPS_AGE_KEY_CMD) return false;
  const home = env.HOME || homedir();
  const dirs = [env.XDG_CONFIG_HOME, env.AppData, env.APPDATA, path.join(home, '.config'), path.join(home, 'Library', 'Application Support')];
  return !dirs.some((dir) => dir && existsSync(path.join(dir, 'sops', 'age', 'keys.txt')));
}

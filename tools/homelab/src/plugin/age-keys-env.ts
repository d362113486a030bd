import { createHash, randomUUID } from 'node:crypto';
import { errorLine, HomelabError } from '../core/model/errors.ts';

/**
 * The variable template targets that decrypt hash (an `env` input): which age keys the run would decrypt with, as a
 * hash of their public recipients ("none" without a key), never the keys. A cached render is replayed only for the
 * keys that made it; a key setting that is refused gives a hash of its one-line error instead, so Nx never replays a
 * cached render for it: the task runs and fails with that line.
 */
export const AGE_KEYS_ENV = 'HOMELAB_AGE_KEYS';

// A passphrase is asked by the task itself, not by Nx while it hashes.
const noPrompt = async (source: string): Promise<string> => {
  throw new HomelabError(`${source} is passphrase-protected`);
};

/**
 * The keys' fingerprint for the run, set by the plugin's pre-task hook once per command (a runtime input instead
 * cost a shell forked from the Nx process for every command that hashed a template, or a Node start with a key set).
 * Reading key files is cheap and has no side effect, so it is always done; SOPS_AGE_KEY_CMD may wait for a password
 * manager, so it runs only when `argv` may hash `templateTarget` (names it anywhere). Otherwise the value is unique to
 * the command: a template hashed after all (a custom target depending on it) then never replays a render made with
 * other keys — it runs.
 */
export async function ageKeysEnv(
  workspaceRoot: string,
  argv: readonly string[],
  templateTarget: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Record<string, string>> {
  if (env.SOPS_AGE_KEY_CMD && !argv.some((arg) => arg.split(/[:=,]/).includes(templateTarget))) {
    return { [AGE_KEYS_ENV]: `unresolved-${randomUUID()}` };
  }
  try {
    // The secrets layer is loaded by the hook only, never by the project graph's computation.
    const { discoverAgeKeys, keyFingerprint } = await import('../core/secrets/index.ts');
    const keys = await discoverAgeKeys({ workspaceRoot, env, passphrase: noPrompt });
    return { [AGE_KEYS_ENV]: await keyFingerprint(keys.identities) };
  } catch (err) {
    return { [AGE_KEYS_ENV]: `refused-${createHash('sha256').update(errorLine(err)).digest('hex').slice(0, 16)}` };
  }
}

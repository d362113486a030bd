// Runtime input of every cached task that decrypts: which age keys the run would use, as a hash of their public
// recipients ("none" without a key), never the keys. A key setting that is refused prints a hash of its one-line
// error instead, so Nx never replays a cached render for it: the task runs and fails with that line.
import { createHash } from 'node:crypto';
import { errorLine, HomelabError } from '../core/model/errors.ts';
import { discoverAgeKeys, keyFingerprint } from '../core/secrets/index.ts';

// A passphrase is asked by the task itself, not by Nx while it hashes.
const noPrompt = async (source: string): Promise<string> => {
  throw new HomelabError(`${source} is passphrase-protected`);
};

try {
  const keys = await discoverAgeKeys({ workspaceRoot: process.cwd(), passphrase: noPrompt });
  process.stdout.write(`${await keyFingerprint(keys.identities)}\n`);
} catch (err) {
  process.stdout.write(`refused-${createHash('sha256').update(errorLine(err)).digest('hex').slice(0, 16)}\n`);
}

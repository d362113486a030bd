import type { Tree } from '@nx/devkit';
import { HomelabError } from '../../core/model/errors.ts';
import { Comment, editContent } from '../../core/secrets/index.ts';
import { SECRET_ENV_KEY } from './chart.ts';

/** The placeholder's key under `<name>.env`: visible in diffs (SOPS keeps keys readable), its value encrypted. */
export const PLACEHOLDER_KEY = 'EXAMPLE_SECRET';

/** Opens each secrets file with the user's age key (or the demo key): no key, one line, nothing written. */
export async function assertSecretsOpen(tree: Tree, files: string[]): Promise<void> {
  for (const file of files) {
    const content = tree.read(file);
    if (!content) throw new HomelabError(`${file} does not exist`, 'restore it, or fix the secrets:// value file that names it');
    await editContent(file, content, () => undefined, { workspaceRoot: tree.root });
  }
}

/**
 * Adds `<name>: {env: {EXAMPLE_SECRET: replace-me}}` under a comment, re-encrypted in memory with the file's data key
 * (every other value keeps its ciphertext), and writes the encrypted content through the Tree. Plaintext never
 * reaches the Tree or the disk.
 */
export async function addSecretsPlaceholder(tree: Tree, file: string, name: string): Promise<string> {
  const result = await editContent(
    file,
    tree.read(file)!,
    (doc) => {
      if (doc.has([name, SECRET_ENV_KEY])) return;
      if (!doc.has([name])) {
        doc.documents[0].items.push(new Comment(` ${name}: placeholder written by nx g @homelab/nx:service; set real values (hack/secrets) or remove it.`));
      }
      doc.set([name, SECRET_ENV_KEY, PLACEHOLDER_KEY], 'replace-me');
    },
    { workspaceRoot: tree.root },
  );
  if (!result.changed) return `${file}: ${name}.${SECRET_ENV_KEY} exists already, left as is`;
  tree.write(file, result.content);
  return `${file}: encrypted placeholder ${name}.${SECRET_ENV_KEY}.${PLACEHOLDER_KEY}`;
}

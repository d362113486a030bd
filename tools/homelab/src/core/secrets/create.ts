/**
 * A new SOPS file, built in memory and written only encrypted: the document starts empty, `edit` fills
 * it, and the result is encrypted for the recipients of the `.sops.yaml` creation rule — by the sops binary
 * (`backend: 'cli'`, the plaintext on its stdin) or the built-in engine.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic.ts';
import { encryptDocument } from './backend.ts';
import { SecretsDocument } from './document.ts';
import { formatFromPath, type SopsFormat } from './format.ts';
import type { CreationRule } from './sops-config.ts';
import { emitPlain } from './stores/index.ts';
import type { BackendName } from './result.ts';
import { Branch } from './tree.ts';

export interface CreateOptions {
  rule: CreationRule;
  format?: SopsFormat;
  now?: Date;
  backend?: BackendName;
  env?: NodeJS.ProcessEnv;
}

export async function createFile(file: string, edit: (doc: SecretsDocument) => void | Promise<void>, opts: CreateOptions): Promise<void> {
  const format = opts.format ?? formatFromPath(file);
  const document = new SecretsDocument([new Branch()]);
  await edit(document);
  const { rule } = opts;
  const encrypted = await encryptDocument(emitPlain(format, document.documents, file), {
    backend: opts.backend,
    env: opts.env,
    format,
    file,
    keyGroups: rule.keyGroups,
    shamirThreshold: rule.shamirThreshold,
    rule: rule.rule,
    macOnlyEncrypted: rule.macOnlyEncrypted,
    indent: format === 'json' ? rule.jsonIndent : format === 'yaml' ? rule.yamlIndent : undefined,
    now: opts.now,
  });
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, encrypted);
}

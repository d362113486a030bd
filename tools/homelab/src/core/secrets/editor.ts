/**
 * `secrets edit` as `sops edit` runs it: the decrypted document in a file named like the secret file, opened in
 * the user's editor, read back and parsed; an invalid document is reported and the editor reopened on request.
 * The file lives only in a memory-backed directory (memory-dir.ts): an editor cannot work on a pipe.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runInteractive, type InteractiveRun } from '../exec/process.ts';
import { errorLine, HomelabError } from '../model/errors.ts';
import { writeFileAtomic } from './atomic.ts';
import { builtinDecrypt, editContent } from './builtin.ts';
import { findExecutable } from './find-executable.ts';
import { SopsError } from './errors.ts';
import type { SopsFormat } from './format.ts';
import { shellWords, type KeyDiscovery } from './keys.ts';
import { readSecretFile, type SecretsOptions } from './result.ts';
import { withMemoryDir } from './memory-dir.ts';
import { isEncrypted } from './cipher.ts';
import { hasSopsMetadata, loadEncrypted, loadPlain } from './stores/index.ts';
import { forEachLeaf, type Branch } from './tree.ts';

/** Variables naming the editor, in order: sops' own, then the usual two. */
const EDITOR_VARIABLES = ['SOPS_EDITOR', 'EDITOR', 'VISUAL'] as const;
/** What sops falls back to when none is set. */
const FALLBACK_EDITORS = ['vim', 'nano', 'vi'];

/** The editor as argv (a variable may hold flags: `code --wait`), or one line saying how to choose one. */
export function editorCommand(env: NodeJS.ProcessEnv): string[] {
  for (const variable of EDITOR_VARIABLES) {
    const value = env[variable]?.trim();
    if (value) return shellWords(value, variable);
  }
  for (const name of FALLBACK_EDITORS) {
    const found = findExecutable(name, env);
    if (found) return [found];
  }
  throw new HomelabError(
    `no editor: SOPS_EDITOR, EDITOR and VISUAL are unset and none of ${FALLBACK_EDITORS.join(', ')} is on PATH`,
    'set EDITOR (e.g. EDITOR=nano)',
  );
}

export interface EditSession {
  env: NodeJS.ProcessEnv;
  /** Memory-backed directories to try, in order (memory-dir.ts). */
  memoryDirs: readonly string[];
  /** A yes/no question on the terminal. */
  confirm(question: string): Promise<boolean>;
  info(line: string): void;
}

/** Runs `use` in a fresh memory-backed directory; a signal is passed on to the program last given to `track`. */
export function withEditorDir<T>(memoryDirs: readonly string[], use: (dir: string, track: (run: InteractiveRun) => InteractiveRun) => Promise<T>): Promise<T> {
  let running: InteractiveRun | undefined;
  return withMemoryDir(memoryDirs, (dir) => use(dir, (run) => (running = run)), { onSignal: (signal) => running?.kill(signal) });
}

/**
 * Opens the editor on `plaintext` until it saves a valid document: its branches, or undefined when the file was
 * left byte-for-byte as it was. An editor failing or a refused reopen changes nothing.
 */
export function editPlaintext(file: string, format: SopsFormat, plaintext: Uint8Array, session: EditSession): Promise<Branch[] | undefined> {
  const [editor, ...flags] = editorCommand(session.env);
  return withEditorDir(session.memoryDirs, async (dir, track) => {
    // Named like the secret file, so the editor picks the right syntax.
    const tempFile = path.join(dir, path.basename(file));
    writeFileSync(tempFile, plaintext, { mode: 0o600, flag: 'wx' });
    for (;;) {
      const { exitCode, reason } = await track(runInteractive(editor, [...flags, tempFile], { env: session.env })).exited;
      if (exitCode !== 0) {
        throw new HomelabError(
          `${file}: the editor ${path.basename(editor)} ${reason ? `did not start (${reason})` : `exited with ${exitCode}`}; nothing written`,
          'check SOPS_EDITOR, EDITOR or VISUAL and run secrets edit again',
        );
      }
      let edited: Buffer;
      try {
        edited = readFileSync(tempFile);
      } catch {
        throw new HomelabError(`${file}: the editor removed the file it was editing; nothing written`, 'run secrets edit again');
      }
      if (Buffer.compare(edited, plaintext) === 0) return undefined;
      try {
        const branches = loadPlain(edited, format, file);
        if (hasSopsMetadata(format, branches)) {
          throw new SopsError('malformed', `${file}: the edited document has a top-level "sops" key`, 'remove it: sops keeps its metadata itself');
        }
        return branches;
      } catch (err) {
        if (!(err instanceof HomelabError)) throw err;
        // Like sops: say what is wrong (never quoting the document) and offer the editor again.
        session.info(errorLine(err));
        if (!(await session.confirm('Return to the editor? (no: leave the file unchanged)'))) {
          throw new HomelabError(`${file}: left unchanged, the edit was not valid`, 'run secrets edit again');
        }
      }
    }
  });
}

/** The encrypted values of an encrypted file (comments and metadata aside). */
function ciphertexts(bytes: Uint8Array, format: SopsFormat, file: string): string[] {
  const out: string[] = [];
  forEachLeaf(loadEncrypted(bytes, format, file).branches, ({ value }) => {
    if (typeof value === 'string' && isEncrypted(value)) out.push(value);
  });
  return out;
}

/**
 * The built-in `secrets edit`: decrypt (MAC verified), edit, re-encrypt with the file's data key so every value
 * left alone keeps its exact ciphertext, check the result decrypts with a valid MAC, and replace the file
 * atomically — unless it changed on disk meanwhile. Returns how many ciphertexts are new; undefined: nothing written.
 */
export async function editInEditor(
  file: string,
  format: SopsFormat,
  opts: SecretsOptions & { keys: KeyDiscovery },
  session: EditSession,
): Promise<number | undefined> {
  const content = await readSecretFile(file);
  const { plaintext } = await builtinDecrypt(file, opts, content);
  const branches = await editPlaintext(file, format, plaintext, session);
  if (!branches) return undefined;
  const edited = await editContent(file, content, (doc) => doc.replaceAll(branches), opts);
  if (!edited.changed) return undefined;
  await builtinDecrypt(file, opts, Buffer.from(edited.content));
  if (!(await readSecretFile(file)).equals(content)) {
    throw new HomelabError(`${file} changed on disk while the editor was open; nothing written`, 'run secrets edit again on the new version');
  }
  await writeFileAtomic(file, edited.content);
  const before = new Set(ciphertexts(content, format, file));
  return ciphertexts(Buffer.from(edited.content), format, file).filter((c) => !before.has(c)).length;
}

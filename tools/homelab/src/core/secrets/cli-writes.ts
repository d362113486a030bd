/**
 * Changes made by the `sops` binary, when it is the backend (backend.ts), so a file is written the way sops writes
 * it. A value never travels on argv: `sops set --value-stdin` (sops >= 3.11) reads it from a pipe; the editor of
 * `sops edit` gets its temporary file in a memory-backed directory through TMPDIR. Where the installed sops lacks
 * the subcommand, the built-in backend does the change (the caller decides: `supports`).
 */
import { runInteractive, runTool } from '../exec/process.ts';
import { HomelabError } from '../model/errors.ts';
import { compareVersions } from './engine.ts';
import { requireSops, sopsEnv } from './cli.ts';
import { editorCommand, withEditorDir, type EditSession } from './editor.ts';
import { SopsError } from './errors.ts';
import type { SopsFormat } from './format.ts';
import type { KeyDiscovery } from './keys.ts';
import { Float, Int, type PathSegment } from './tree.ts';

/** sops' exit code when `sops edit` saw no change (cmd/sops/codes FileHasNotBeenModified). */
const EXIT_NOT_MODIFIED = 200;

/** The first sops release with each subcommand we use for writes (rotate and updatekeys are older than 3.0). */
const SINCE = { set: '3.11.0', unset: '3.9.0', edit: '3.9.0' } as const;

export interface SopsWriter {
  file: string;
  format: SopsFormat;
  env: NodeJS.ProcessEnv;
  keys: KeyDiscovery;
}

let versions: Map<string, string | undefined> | undefined;

/** `sops --version`, read once per binary and run. */
async function sopsVersion(sops: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  versions ??= new Map();
  if (!versions.has(sops)) {
    const run = await runTool(sops, ['--version'], { env: { ...env, SOPS_DISABLE_VERSION_CHECK: '1' } as Record<string, string> });
    versions.set(sops, /\b(\d+\.\d+\.\d+)\b/.exec(run.stdout)?.[1]);
  }
  return versions.get(sops);
}

/** Whether the sops on PATH has the subcommand (an unreadable version counts as too old: the built-in does it). */
export async function supports(what: keyof typeof SINCE, env: NodeJS.ProcessEnv): Promise<boolean> {
  const version = await sopsVersion(requireSops(env), env);
  return version !== undefined && compareVersions(version, SINCE[what]) >= 0;
}

/** sops' index form `["a"]["b"][0]`; undefined for a key sops cannot address (it splits the index at `[`). */
export function sopsIndex(path: readonly PathSegment[]): string | undefined {
  if (path.some((seg) => typeof seg === 'string' && seg.includes('['))) return undefined;
  return path.map((seg) => (typeof seg === 'number' ? `[${seg}]` : `["${seg}"]`)).join('');
}

/** A value as the JSON `sops set` reads (it decodes numbers as float64, as sops' own `set` always does). */
export function sopsJson(value: unknown): string {
  if (value instanceof Int) return value.value.toString();
  if (value instanceof Float) return String(value.value);
  return JSON.stringify(value);
}

const typeArgs = (w: SopsWriter) => ['--input-type', w.format, '--output-type', w.format];

async function run(w: SopsWriter, args: string[], what: string, stdin?: string): Promise<void> {
  const sops = requireSops(w.env);
  const result = await runTool(sops, args, {
    env: sopsEnv(w.env, w.keys) as Record<string, string>,
    inputs: stdin === undefined ? undefined : [Buffer.from(stdin)],
  });
  if (result.exitCode !== 0) {
    // sops' stderr may quote file content: it is not repeated here.
    throw new SopsError(
      'backend',
      `${w.file}: sops ${what} failed (exit ${result.exitCode})`,
      `run \`sops ${what} ${w.file}\` to see its message, or HOMELAB_SOPS_BACKEND=builtin`,
    );
  }
}

/** `sops set --value-stdin`: the value on stdin only. */
export async function cliSet(w: SopsWriter, path: readonly PathSegment[], value: unknown): Promise<void> {
  const index = sopsIndex(path);
  if (index === undefined) throw new HomelabError(`${w.file}: sops cannot address a key holding "["`, 'use HOMELAB_SOPS_BACKEND=builtin for this key');
  return run(w, ['set', '--value-stdin', ...typeArgs(w), w.file, index], 'set', sopsJson(value));
}

export async function cliUnset(w: SopsWriter, path: readonly PathSegment[]): Promise<void> {
  const index = sopsIndex(path);
  if (index === undefined) throw new HomelabError(`${w.file}: sops cannot address a key holding "["`, 'use HOMELAB_SOPS_BACKEND=builtin for this key');
  return run(w, ['unset', ...typeArgs(w), w.file, index], 'unset');
}

/** `sops rotate -i`: a new data key; recipients added or removed in the same step (sops has no re-wrap only). */
export function cliRotate(w: SopsWriter, change: { add?: readonly string[]; remove?: readonly string[] } = {}): Promise<void> {
  const args = ['rotate', '--in-place', ...typeArgs(w)];
  if (change.add?.length) args.push('--add-age', change.add.join(','));
  if (change.remove?.length) args.push('--rm-age', change.remove.join(','));
  return run(w, [...args, w.file], 'rotate');
}

/** `sops updatekeys --yes` against the given .sops.yaml (the caller asked for confirmation). */
export function cliUpdateKeys(w: SopsWriter, configFile: string): Promise<void> {
  return run(w, ['--config', configFile, 'updatekeys', '--yes', '--input-type', w.format, w.file], 'updatekeys');
}

/**
 * `sops edit` with its temporary directory (TMPDIR) inside a memory-backed one and the editor we resolved; sops
 * itself re-encrypts only what changed and reopens the editor on invalid input. Returns whether the file changed.
 */
export async function cliEdit(w: SopsWriter, session: Pick<EditSession, 'memoryDirs'>): Promise<boolean> {
  const sops = requireSops(w.env);
  const editor = editorCommand(w.env);
  const exitCode = await withEditorDir(session.memoryDirs, async (dir, track) => {
    const env = { ...sopsEnv(w.env, w.keys), TMPDIR: dir, SOPS_EDITOR: quoteWords(editor) };
    const result = await track(runInteractive(sops, ['edit', ...typeArgs(w), w.file], { env })).exited;
    return result.reason ? 127 : result.exitCode;
  });
  if (exitCode === EXIT_NOT_MODIFIED) return false;
  if (exitCode !== 0) throw new SopsError('backend', `${w.file}: sops edit failed (exit ${exitCode}); sops wrote nothing`, 'its message is above');
  return true;
}

/** Words back into one string sops splits again with shlex. */
function quoteWords(words: readonly string[]): string {
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`)).join(' ');
}

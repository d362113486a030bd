/**
 * The `secrets` command: view, get, set, rm, edit, rotate, recipients and updatekeys over one SOPS file
 * (secrets.yaml by default). Changes go through the sops binary when it is the backend, else the built-in one. The shared body of hack/secrets and the Nx `workspace:secrets` target; the shells only say what
 * they are (which decides what may be printed in clear) and how a new value is read.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { HomelabError } from '../model/errors.ts';
import { redactionMarker } from '../exec/mask.ts';
import {
  cliEdit,
  cliRotate,
  cliSet,
  cliUnset,
  cliUpdateKeys,
  createFile,
  creationRuleFor,
  decryptFile,
  discoverAgeKeys,
  editFile,
  editInEditor,
  fileRecipients,
  findSopsConfig,
  Float,
  formatFromPath,
  formatPath,
  Int,
  maskedDocument,
  maskKeyFor,
  memoryDirCandidates,
  parseFormat,
  readSecretFile,
  rotateFile,
  selectBackend,
  setRecipients,
  SOPS_CONFIG_FILE,
  supports,
  updateRecipients,
  type PathSegment,
  type SecretsDocument,
  type SopsFormat,
  type SopsWriter,
} from '../secrets/index.ts';

/** Options of both shells (parsed with node:util parseArgs). */
export const SECRETS_OPTIONS = {
  file: { type: 'string', short: 'f' },
  format: { type: 'string' },
  reveal: { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  type: { type: 'string' },
  'from-file': { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
} satisfies NonNullable<ParseArgsConfig['options']>;

export interface SecretsArgs {
  file?: string;
  format?: string;
  reveal?: boolean;
  output?: string;
  type?: string;
  'from-file'?: string;
  yes?: boolean;
}

export const VALUE_TYPES = ['string', 'int', 'float', 'bool', 'json'] as const;
export type ValueType = (typeof VALUE_TYPES)[number];

export type SecretsAction =
  | { kind: 'view'; reveal: boolean; json: boolean }
  | { kind: 'get'; path: PathSegment[]; json: boolean }
  | { kind: 'set'; path: PathSegment[]; type?: ValueType; fromFile?: string }
  | { kind: 'rm'; path: PathSegment[] }
  | { kind: 'edit' }
  | { kind: 'rotate' }
  | { kind: 'recipients'; add: string[]; remove: string[] }
  | { kind: 'updatekeys'; yes: boolean };

export interface SecretsRequest {
  action: SecretsAction;
  /** The SOPS file (default: `<root>/secrets.yaml`), relative to the caller's cwd. */
  file?: string;
  /** Overrides the format sops would pick from the file name. */
  format?: SopsFormat;
}

export interface SecretsContext {
  root: string;
  /** Where relative `--file` paths start. */
  cwd: string;
  /**
   * `hack`: hack/secrets (may print values: `get`, `view --reveal`). `nx`: the Nx target, whose terminal output
   * Nx stores on disk (.nx/cache/terminalOutputs), so it never prints a decrypted value.
   */
  shell: 'hack' | 'nx';
  stdoutIsTerminal: boolean;
  /** Standard output: the data asked for. */
  write(data: string | Uint8Array): void;
  /** Standard error: what was done. */
  info(line: string): void;
  /** The new value for `set` (stdin or a hidden prompt); never argv. */
  readValue(label: string): Promise<string>;
  /** All of stdin, for `set --from-file -`. */
  readStdin(): Promise<Buffer>;
  /** A yes/no question on the terminal; absent without one. */
  confirm?: (question: string) => Promise<boolean>;
  /** Where `edit` may keep its plaintext file (default: memoryDirCandidates). */
  memoryDirs?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

const ACTIONS = ['view', 'get', 'set', 'rm', 'edit', 'rotate', 'recipients', 'updatekeys'] as const;

function usage(message: string, hint = 'see --help'): HomelabError {
  return new HomelabError(message, hint);
}

/**
 * A value path: `monitoring.grafana.adminPassword`, list indices as `emailTo[0]`, and sops' bracket form
 * `["monitoring"]["grafana"]` (quote keys holding `.` or `[`: `["a.b"]`).
 */
export function parseSecretPath(text: string): PathSegment[] {
  const segments: PathSegment[] = [];
  const bad = (why: string) => usage(`invalid value path "${text}": ${why}`, 'write keys.joined.by.dots, [0] for list items, ["key.with.dots"] for odd keys');
  let i = 0;
  let needKey = true;
  while (i < text.length) {
    const c = text[i];
    if (c === '[') {
      const quote = text[i + 1];
      if (quote === '"' || quote === "'") {
        let key = '';
        let j = i + 2;
        for (; j < text.length && text[j] !== quote; j++) key += text[j] === '\\' && j + 1 < text.length ? text[++j] : text[j];
        if (text[j] !== quote || text[j + 1] !== ']') throw bad('unclosed [" … "]');
        segments.push(key);
        i = j + 2;
      } else {
        const close = text.indexOf(']', i);
        const digits = close === -1 ? '' : text.slice(i + 1, close);
        if (!/^\d+$/.test(digits)) throw bad('brackets hold a list index [0] or a quoted key ["key"]');
        segments.push(Number(digits));
        i = close + 1;
      }
      needKey = false;
    } else if (c === '.') {
      if (needKey) throw bad('empty key');
      needKey = true;
      i++;
    } else {
      if (!needKey) throw bad('a key must follow a "."');
      let j = i;
      while (j < text.length && text[j] !== '.' && text[j] !== '[') j++;
      segments.push(text.slice(i, j));
      i = j;
      needKey = false;
    }
  }
  if (segments.length === 0 || needKey) throw bad(segments.length === 0 ? 'it is empty' : 'it ends with "."');
  return segments;
}

/** `set <path> <value>`: refused without repeating the value (already in the shell history, it must not reach a log too). */
export function refuseValueArgument(afterSet: readonly string[]): void {
  if (afterSet.length > 1) {
    throw usage('secrets set never takes the value as an argument (shell history, ps)', 'pipe it on stdin or type it at the hidden prompt');
  }
}

/** Arguments of either shell → a request; refuses a value on the command line without echoing it. */
export function parseSecretsArgs(values: SecretsArgs, positionals: string[]): SecretsRequest {
  const [action, ...rest] = positionals;
  if (!action) throw usage('secrets needs a subcommand', `one of ${ACTIONS.join(', ')}`);
  if (!(ACTIONS as readonly string[]).includes(action)) throw usage(`unknown secrets subcommand "${action}"`, `use one of ${ACTIONS.join(', ')}`);
  const only = (flag: keyof SecretsArgs, allowed: string[]) => {
    if (values[flag] !== undefined && !allowed.includes(action)) throw usage(`--${flag} does not apply to "${action}"`);
  };
  only('reveal', ['view']);
  only('output', ['view', 'get']);
  only('type', ['set']);
  only('from-file', ['set']);
  only('yes', ['updatekeys']);
  if (values.output !== undefined && values.output !== 'json') throw usage(`--output takes "json", not "${values.output}"`);
  const json = values.output === 'json';
  const format = values.format === undefined ? undefined : parseFormat(values.format);
  let base = { file: values.file, format };
  // `secrets edit secrets.yaml`, as sops takes the file.
  const fileArgument = () => {
    if (rest.length > 1) throw usage(`secrets ${action} takes at most one file`);
    if (rest.length === 1 && values.file !== undefined) throw usage(`secrets ${action}: give the file once (argument or --file)`);
    if (rest.length === 1) base = { ...base, file: rest[0] };
  };
  const onePath = (): PathSegment[] => {
    if (rest.length !== 1) throw usage(`secrets ${action} takes exactly one value path`, `e.g. secrets ${action} monitoring.grafana.adminPassword`);
    return parseSecretPath(rest[0]);
  };
  switch (action) {
    case 'view':
      if (rest.length) throw usage('secrets view takes no value path', 'use secrets get <path> for one value');
      return { ...base, action: { kind: 'view', reveal: values.reveal ?? false, json } };
    case 'get':
      return { ...base, action: { kind: 'get', path: onePath(), json } };
    case 'set': {
      refuseValueArgument(rest);
      const type = values.type;
      if (type !== undefined && !(VALUE_TYPES as readonly string[]).includes(type)) throw usage(`--type takes one of ${VALUE_TYPES.join(', ')}`);
      return { ...base, action: { kind: 'set', path: onePath(), type: type as ValueType | undefined, fromFile: values['from-file'] } };
    }
    case 'edit':
      fileArgument();
      return { ...base, action: { kind: 'edit' } };
    case 'updatekeys':
      fileArgument();
      return { ...base, action: { kind: 'updatekeys', yes: values.yes ?? false } };
    case 'rm':
      return { ...base, action: { kind: 'rm', path: onePath() } };
    case 'rotate':
      if (rest.length) throw usage('secrets rotate takes no argument');
      return { ...base, action: { kind: 'rotate' } };
    default: {
      const [verb, ...recipients] = rest;
      if (verb === undefined || verb === 'list') return { ...base, action: { kind: 'recipients', add: [], remove: [] } };
      if ((verb !== 'add' && verb !== 'remove') || recipients.length === 0) {
        throw usage('secrets recipients takes list, add <age1…>… or remove <age1…>…');
      }
      return { ...base, action: { kind: 'recipients', add: verb === 'add' ? recipients : [], remove: verb === 'remove' ? recipients : [] } };
    }
  }
}

/** What each shell may print in clear. */
function refuseUnsafe(action: SecretsAction, ctx: SecretsContext): void {
  if (action.kind === 'edit' && ctx.shell === 'nx') {
    throw new HomelabError(
      'the Nx target cannot run an editor on decrypted values (Nx records the task terminal in .nx/cache/terminalOutputs)',
      'use hack/secrets edit or npx homelab secrets edit',
    );
  }
  const revealing = action.kind === 'get' || (action.kind === 'view' && action.reveal);
  if (!revealing) return;
  if (ctx.shell === 'nx') {
    throw new HomelabError(
      `the Nx target never prints decrypted values (Nx stores every task's terminal output in .nx/cache/terminalOutputs)`,
      `use hack/secrets ${action.kind === 'get' ? 'get <path>' : 'view --reveal'} instead`,
    );
  }
  // JSON and get are explicit requests for values (scripts read them); the document view is for eyes only.
  if (action.kind === 'view' && !action.json && !ctx.stdoutIsTerminal) {
    throw new HomelabError('view --reveal prints secrets and only writes to a terminal', 'drop --reveal when piping, or use --output json in scripts');
  }
}

export async function secrets(request: SecretsRequest, ctx: SecretsContext): Promise<void> {
  refuseUnsafe(request.action, ctx);
  const absolute = path.resolve(ctx.cwd, request.file ?? path.join(ctx.root, 'secrets.yaml'));
  // Messages name the file as the user knows it.
  const relative = path.relative(process.cwd(), absolute);
  const file = relative.startsWith('..') || path.isAbsolute(relative) ? absolute : relative;
  const format = request.format ?? formatFromPath(file);
  const opts = { workspaceRoot: ctx.root, format, env: ctx.env };
  const action = request.action;
  // The sops binary writes when it is the backend (as it reads); HOMELAB_SOPS_BACKEND=builtin keeps it out.
  const viaSops = selectBackend(ctx.env ?? process.env).name === 'cli';
  switch (action.kind) {
    case 'view':
      return view(file, format, action, opts, ctx);
    case 'get':
      return get(file, action, opts, ctx);
    case 'set':
      return set(file, format, action, opts, ctx, viaSops);
    case 'rm':
      return rm(file, format, action.path, opts, ctx, viaSops);
    case 'edit':
      return edit(file, format, opts, ctx, viaSops);
    case 'rotate':
      if (viaSops) await cliRotate(await writer(file, format, opts));
      else await rotateFile(file, opts);
      ctx.info(`${file}: new data key, every value re-encrypted`);
      return;
    case 'recipients':
      return recipients(file, format, action, opts, ctx, viaSops);
    case 'updatekeys':
      return updatekeys(file, format, action.yes, opts, ctx, viaSops);
  }
}

/** What a sops write needs: the file, its format and our keys (passed to sops in its environment). */
async function writer(file: string, format: SopsFormat, opts: Opts): Promise<SopsWriter> {
  const env = opts.env ?? process.env;
  const recipients = (await fileRecipients(file, format)).flat();
  return { file, format, env, keys: await discoverAgeKeys({ workspaceRoot: opts.workspaceRoot, env, recipients }) };
}

async function rm(file: string, format: SopsFormat, valuePath: PathSegment[], opts: Opts, ctx: SecretsContext, viaSops: boolean): Promise<void> {
  const missing = () => new HomelabError(`${file}: no value at ${formatPath(valuePath)}`, 'secrets view lists the keys');
  if (viaSops && (await supports('unset', opts.env ?? process.env))) {
    const w = await writer(file, format, opts);
    if (lookup((await decryptFile(file, { ...opts, keys: w.keys })).data, valuePath) === undefined) throw missing();
    await cliUnset(w, valuePath);
  } else {
    let found = false;
    await editFile(file, (doc) => void (found = doc.delete(valuePath)), opts);
    if (!found) throw missing();
  }
  ctx.info(`${file}: removed ${formatPath(valuePath)}`);
}

async function edit(file: string, format: SopsFormat, opts: Opts, ctx: SecretsContext, viaSops: boolean): Promise<void> {
  if (!existsSync(file)) throw new HomelabError(`${file} does not exist`, 'create it with secrets set <path> --file <file>');
  const env = opts.env ?? process.env;
  const session = { env, memoryDirs: ctx.memoryDirs ?? memoryDirCandidates(env), confirm: ctx.confirm ?? (async () => false), info: ctx.info };
  const w = await writer(file, format, opts);
  if (viaSops && (await supports('edit', env))) {
    ctx.info((await cliEdit(w, session)) ? `${file}: saved by sops edit` : `${file}: no change, nothing written`);
    return;
  }
  const reencrypted = await editInEditor(file, format, { ...opts, keys: w.keys }, session);
  ctx.info(
    reencrypted === undefined
      ? `${file}: no change, nothing written`
      : `${file}: saved, ${reencrypted} value(s) re-encrypted; every other value keeps its ciphertext`,
  );
}

type Opts = { workspaceRoot: string; format: SopsFormat; env?: NodeJS.ProcessEnv };

/** JSON for scripts; ints beyond 2^53 stay exact. */
function toJson(value: unknown): string {
  const raw = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;
  return `${JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? raw(v.toString()) : v), 2)}\n`;
}

async function view(file: string, format: SopsFormat, action: { reveal: boolean; json: boolean }, opts: Opts, ctx: SecretsContext): Promise<void> {
  const encrypted = await readSecretFile(file);
  // Looked up as a template run does (once, whatever the recipients), so the markers below match its output.
  const keys = await discoverAgeKeys({ workspaceRoot: ctx.root, env: ctx.env });
  const decrypted = await decryptFile(file, { ...opts, keys });
  if (action.reveal) {
    ctx.write(action.json ? toJson(decrypted.documents.length === 1 ? decrypted.data : decrypted.documents) : decrypted.plaintext);
    return;
  }
  // Same markers as the template output: a value that changed shows a different marker.
  const masked = await maskedDocument(encrypted, format, decrypted.leaves, redactionMarker(maskKeyFor(keys.identities)), file);
  ctx.write(action.json ? toJson(masked.documents.length === 1 ? masked.documents[0] : masked.documents) : masked.plaintext);
}

function lookup(root: unknown, path: readonly PathSegment[]): unknown {
  let cur = root;
  for (const seg of path) {
    if (typeof seg === 'number' && Array.isArray(cur)) cur = cur[seg];
    else if (typeof seg === 'string' && cur !== null && typeof cur === 'object' && !Array.isArray(cur) && Object.hasOwn(cur, seg)) {
      cur = (cur as Record<string, unknown>)[seg];
    } else return undefined;
  }
  return cur;
}

async function get(file: string, action: { path: PathSegment[]; json: boolean }, opts: Opts, ctx: SecretsContext): Promise<void> {
  const decrypted = await decryptFile(file, opts);
  if (decrypted.format === 'binary' && !action.json && action.path.length === 1 && action.path[0] === 'data') {
    ctx.write(decrypted.plaintext); // the exact bytes
    return;
  }
  const value = lookup(decrypted.data, action.path);
  if (value === undefined) throw new HomelabError(`${file}: no value at ${formatPath(action.path)}`, 'secrets view lists the keys');
  if (action.json || (value !== null && typeof value === 'object')) {
    ctx.write(toJson(value));
    return;
  }
  // A terminal gets a line; a pipe or file gets the value exactly.
  ctx.write(`${String(value)}${ctx.stdoutIsTerminal ? '\n' : ''}`);
}

/** The typed value for `set`: by `--type`, else the type of the value it replaces, else a string. */
function typedValue(text: string, type: ValueType | undefined, current: unknown, where: string): unknown {
  const chosen: ValueType =
    type ??
    (typeof current === 'boolean'
      ? 'bool'
      : typeof current === 'bigint' || (typeof current === 'number' && Number.isInteger(current))
        ? 'int'
        : typeof current === 'number'
          ? 'float'
          : 'string');
  // Messages never quote the value.
  const wrong = (what: string) => new HomelabError(`the new value for ${where} is not ${what}`, 'give a value of that type, or choose another with --type');
  if (current !== null && typeof current === 'object' && type !== 'json') {
    throw new HomelabError(`${where} holds a ${Array.isArray(current) ? 'list' : 'map'}`, 'pass --type json to replace it whole, or set a value inside it');
  }
  switch (chosen) {
    case 'string':
      return text;
    case 'int':
      if (!/^[-+]?\d+$/.test(text.trim())) throw wrong('an integer');
      return new Int(BigInt(text.trim()));
    case 'float': {
      const n = Number(text.trim());
      if (text.trim() === '' || !Number.isFinite(n)) throw wrong('a number');
      return new Float(n);
    }
    case 'bool':
      if (!/^(true|false)$/.test(text.trim())) throw wrong('true or false');
      return text.trim() === 'true';
    case 'json':
      try {
        return JSON.parse(text);
      } catch {
        throw wrong('valid JSON');
      }
  }
}

/** The text of a new value: a file's exact bytes (UTF-8; `-` is stdin), else piped or typed (one final newline dropped). */
async function valueText(action: { path: PathSegment[]; fromFile?: string }, ctx: SecretsContext): Promise<string> {
  const where = formatPath(action.path);
  if (action.fromFile === undefined) return (await ctx.readValue(where)).replace(/\r?\n$/, '');
  let bytes: Buffer;
  try {
    bytes = action.fromFile === '-' ? await ctx.readStdin() : readFileSync(path.resolve(ctx.cwd, action.fromFile));
  } catch (err) {
    throw new HomelabError(`cannot read ${action.fromFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, 'check the path given to --from-file');
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (!Buffer.from(text, 'utf8').equals(bytes)) {
    throw new HomelabError(
      `${action.fromFile} is not UTF-8 text: a SOPS value is a string`,
      'store it base64-encoded (base64 -w0 <file> | secrets set <path>)',
    );
  }
  return text;
}

async function set(
  file: string,
  format: SopsFormat,
  action: { path: PathSegment[]; type?: ValueType; fromFile?: string },
  opts: Opts,
  ctx: SecretsContext,
  viaSops: boolean,
): Promise<void> {
  const where = formatPath(action.path);
  if (format === 'binary' && (action.path.length !== 1 || action.path[0] !== 'data')) {
    throw new HomelabError(`${file} is a binary SOPS file: its one value is "data"`, 'use the path data');
  }
  const exists = existsSync(file);
  // Find the creation rule before asking for a value that could not be stored.
  const configFile = exists ? undefined : findSopsConfig(path.dirname(path.resolve(file)));
  if (!exists && !configFile) {
    throw new HomelabError(
      `${file} does not exist and no ${SOPS_CONFIG_FILE} was found above it`,
      `add a ${SOPS_CONFIG_FILE} with creation_rules naming its age recipients`,
    );
  }
  const rule = configFile ? creationRuleFor(file, configFile) : undefined;
  const text = await valueText(action, ctx);
  if (text === '') throw new HomelabError(`no value given for ${where}`, 'pipe the value on stdin, type it at the prompt or name a non-empty --from-file');
  const apply = (doc: SecretsDocument) => doc.set(action.path, typedValue(text, action.type, doc.get(action.path), where));
  if (rule) {
    // sops cannot create a file with set: the document is built here and encrypted for the creation rule, by
    // `sops encrypt` (plaintext on its stdin) when sops writes, except Shamir key groups, which its flags cannot name.
    const bySops = viaSops && rule.keyGroups.length === 1;
    await createFile(file, apply, { rule, format, backend: bySops ? 'cli' : 'builtin', env: opts.env });
    const by = bySops ? ' by sops' : '';
    ctx.info(`${file}: created${by}, ${where} set (encrypted for ${rule.keyGroups.flat().length} recipient(s) of ${rule.configFile})`);
    return;
  }
  if (viaSops && (await supports('set', opts.env ?? process.env))) {
    const w = await writer(file, format, opts);
    const current = lookup((await decryptFile(file, { ...opts, keys: w.keys })).data, action.path);
    await cliSet(w, action.path, typedValue(text, action.type, current, where));
    ctx.info(`${file}: ${where} set by sops`);
    return;
  }
  const { changed } = await editFile(file, apply, opts);
  ctx.info(changed ? `${file}: ${where} set` : `${file}: ${where} already had that value, file unchanged`);
}

async function recipients(
  file: string,
  format: SopsFormat,
  action: { add: string[]; remove: string[] },
  opts: Opts,
  ctx: SecretsContext,
  viaSops: boolean,
): Promise<void> {
  const groups = await fileRecipients(file, format);
  if (action.add.length === 0 && action.remove.length === 0) {
    groups.forEach((group, i) => group.forEach((r) => ctx.write(groups.length > 1 ? `${i}\t${r}\n` : `${r}\n`)));
    return;
  }
  const current = new Set(groups.flat());
  const unknown = action.remove.filter((r) => !current.has(r));
  if (unknown.length) throw new HomelabError(`${file}: ${unknown.join(', ')} is not a recipient`, 'secrets recipients lists them');
  if (viaSops) {
    // sops changes recipients only together with a new data key (sops rotate --add-age/--rm-age).
    await cliRotate(await writer(file, format, opts), { add: action.add.filter((r) => !current.has(r)), remove: action.remove });
    ctx.info(`${file}: recipients changed and a new data key made by sops rotate (every value re-encrypted)`);
    ctx.info(`update the creation_rules of ${SOPS_CONFIG_FILE} too, so new files use the same recipients`);
    return;
  }
  const { changed } = await updateRecipients(file, { add: action.add, remove: action.remove }, opts);
  if (!changed) {
    ctx.info(`${file}: already encrypted for ${action.add.join(', ')}, unchanged`);
    return;
  }
  if (action.add.length) ctx.info(`${file}: data key re-wrapped for ${action.add.join(', ')}`);
  if (action.remove.length) {
    ctx.info(`${file}: ${action.remove.join(', ')} removed; it may still hold the old data key — run secrets rotate`);
  }
  ctx.info(`update the creation_rules of ${SOPS_CONFIG_FILE} too, so new files use the same recipients`);
}

/** One line per key group change, as `sops updatekeys` lists them. */
function recipientDiff(current: string[][], wanted: string[][]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < Math.max(current.length, wanted.length); i++) {
    const before = current[i] ?? [];
    const after = wanted[i] ?? [];
    const label = current.length > 1 || wanted.length > 1 ? `group ${i}: ` : '';
    for (const r of after.filter((r) => !before.includes(r))) lines.push(`  + ${label}${r}`);
    for (const r of before.filter((r) => !after.includes(r))) lines.push(`  - ${label}${r}`);
  }
  return lines;
}

/** `sops updatekeys`: the file's recipients become those of its .sops.yaml creation rule, after confirmation. */
async function updatekeys(file: string, format: SopsFormat, yes: boolean, opts: Opts, ctx: SecretsContext, viaSops: boolean): Promise<void> {
  const configFile = findSopsConfig(path.dirname(path.resolve(file)));
  if (!configFile) throw new HomelabError(`no ${SOPS_CONFIG_FILE} above ${file}`, `add one with creation_rules naming the age recipients`);
  const rule = creationRuleFor(file, configFile);
  const current = await fileRecipients(file, format);
  const changes = recipientDiff(current, rule.keyGroups);
  if (changes.length === 0) {
    ctx.info(`${file}: already encrypted for the recipients of ${configFile}, unchanged`);
    return;
  }
  ctx.info(`${file}: recipients from ${configFile}:`);
  for (const line of changes) ctx.info(line);
  if (!yes) {
    if (!ctx.confirm) throw new HomelabError(`${file}: not changed, no terminal to confirm on`, 'pass --yes to confirm non-interactively');
    if (!(await ctx.confirm('Re-wrap the data key for these recipients?'))) {
      ctx.info(`${file}: left unchanged`);
      return;
    }
  }
  if (viaSops) await cliUpdateKeys(await writer(file, format, opts), configFile);
  else await setRecipients(file, rule.keyGroups, opts);
  ctx.info(`${file}: recipients synced with ${configFile}; values unchanged`);
  if (changes.some((line) => line.startsWith('  -'))) ctx.info('removed recipients may still hold the old data key — run secrets rotate');
}

/**
 * A small, honest subset of Go's text/template with the sprig functions ArgoCD ApplicationSets use
 * most (`goTemplate: true`). Supported: text, `{{ pipeline }}` with `{{-`/`-}}` trim markers and
 * comments; operands `.`, `.a.b`, `$`, `$.a`, string/raw/number/bool/nil literals, `( … )`; pipes `|`;
 * functions index, default, lower, upper, replace, trimPrefix, trimSuffix, trim, quote, printf
 * (%s %v %d %q), join, base, dir, normalize. Everything else (if/range/with, variables, other
 * functions) throws TemplateError saying so, rather than rendering something ArgoCD would not.
 * Printing follows Go: a missing key prints `<no value>`, numbers are float64 (`1e+06`).
 */

import { isRecord } from '../../workspace/yaml-docs.ts';

export class TemplateError extends Error {}

export interface GoTemplateOptions {
  /** `goTemplateOptions: ["missingkey=error"]` */
  missingKeyError: boolean;
}

type Operand =
  | { kind: 'dot'; fields: string[] }
  | { kind: 'root'; fields: string[] }
  | { kind: 'literal'; value: unknown }
  | { kind: 'func'; name: string }
  | { kind: 'group'; pipe: Command[]; fields: string[] };
type Command = Operand[];
type Node = string | Command[];

type Token =
  | { t: 'pipe' | 'open' | 'close' }
  | { t: 'field'; name: string; glued: boolean }
  | { t: 'dot' | 'root' }
  | { t: 'literal'; value: unknown }
  | { t: 'ident'; name: string };

const CONTROL = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);
const SPACE = /[ \t\r\n]/;

const parsed = new Map<string, Node[]>();

export function renderGoTemplate(source: string, data: unknown, options: GoTemplateOptions): string {
  if (!source.includes('{{')) return source;
  let nodes = parsed.get(source);
  if (!nodes) {
    nodes = parseTemplate(source);
    parsed.set(source, nodes);
  }
  let out = '';
  for (const node of nodes) {
    out += typeof node === 'string' ? node : printValue(evalPipe(node, { dot: data, options }, NO_INPUT));
  }
  return out;
}

function parseTemplate(src: string): Node[] {
  const nodes: Node[] = [];
  let i = 0;
  for (;;) {
    const open = src.indexOf('{{', i);
    if (open < 0) {
      if (i < src.length) nodes.push(src.slice(i));
      return nodes;
    }
    let text = src.slice(i, open);
    let j = open + 2;
    if (src[j] === '-' && SPACE.test(src[j + 1] ?? '')) {
      text = text.replace(/[ \t\r\n]+$/, '');
      j += 2;
    }
    if (text) nodes.push(text);
    const end = findActionEnd(src, j);
    let inner = src.slice(j, end);
    let trimRight = false;
    if (inner.endsWith('-') && SPACE.test(inner[inner.length - 2] ?? '')) {
      inner = inner.slice(0, -1);
      trimRight = true;
    }
    const body = inner.trim();
    if (!(body.startsWith('/*') && body.endsWith('*/'))) nodes.push(parseAction(body));
    i = end + 2;
    if (trimRight) while (i < src.length && SPACE.test(src[i])) i++;
  }
}

function findActionEnd(src: string, from: number): number {
  const comment = src.slice(from).trimStart().startsWith('/*');
  if (comment) {
    const close = src.indexOf('*/', from);
    const end = close < 0 ? -1 : src.indexOf('}}', close);
    if (end < 0) throw new TemplateError('unclosed comment');
    return end;
  }
  for (let k = from; k < src.length; k++) {
    const c = src[k];
    if (c === '"' || c === "'") {
      for (k++; k < src.length && src[k] !== c; k++) if (src[k] === '\\') k++;
    } else if (c === '`') {
      k = src.indexOf('`', k + 1);
      if (k < 0) break;
    } else if (c === '}' && src[k + 1] === '}') {
      return k;
    }
  }
  throw new TemplateError('unclosed action: missing "}}"');
}

function lex(body: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let glued = false;
  while (i < body.length) {
    const c = body[i];
    if (SPACE.test(c)) {
      i++;
      glued = false;
      continue;
    }
    const rest = body.slice(i);
    let m: RegExpMatchArray | null;
    if (c === '|') tokens.push({ t: 'pipe' }), i++;
    else if (c === '(') tokens.push({ t: 'open' }), i++;
    else if (c === ')') tokens.push({ t: 'close' }), i++;
    else if ((m = rest.match(/^\.([A-Za-z_][A-Za-z0-9_]*)/))) tokens.push({ t: 'field', name: m[1], glued }), (i += m[0].length);
    else if (c === '.') tokens.push({ t: 'dot' }), i++;
    else if (c === '$') {
      if (/^\$[A-Za-z_]/.test(rest)) throw new TemplateError(`template variables (${rest.split(/[\s.|()]/)[0]}) are not supported`);
      tokens.push({ t: 'root' });
      i++;
    } else if ((m = rest.match(/^"(?:[^"\\]|\\.)*"/))) {
      try {
        tokens.push({ t: 'literal', value: JSON.parse(m[0]) });
      } catch {
        throw new TemplateError(`unsupported escape in string ${m[0]}`);
      }
      i += m[0].length;
    } else if ((m = rest.match(/^`([^`]*)`/))) tokens.push({ t: 'literal', value: m[1] }), (i += m[0].length);
    else if ((m = rest.match(/^-?\d+(?:\.\d+)?(?![A-Za-z0-9_.])/))) tokens.push({ t: 'literal', value: Number(m[0]) }), (i += m[0].length);
    else if ((m = rest.match(/^[A-Za-z_][A-Za-z0-9_]*/))) {
      const name = m[0];
      if (CONTROL.has(name)) throw new TemplateError(`{{${name}}} is not supported (only single pipelines, no control structures)`);
      if (name === 'true' || name === 'false') tokens.push({ t: 'literal', value: name === 'true' });
      else if (name === 'nil') tokens.push({ t: 'literal', value: null });
      else tokens.push({ t: 'ident', name });
      i += name.length;
    } else {
      throw new TemplateError(`unsupported syntax "${rest.slice(0, 12)}" in {{${body}}}`);
    }
    glued = true;
  }
  return tokens;
}

function parseAction(body: string): Command[] {
  if (body === '') throw new TemplateError('empty action {{}}');
  const tokens = lex(body);
  let pos = 0;

  const fieldsAfter = (): string[] => {
    const fields: string[] = [];
    for (let tok = tokens[pos]; tok?.t === 'field' && tok.glued; tok = tokens[pos]) fields.push(tok.name), pos++;
    return fields;
  };
  const operand = (): Operand => {
    const tok = tokens[pos++];
    switch (tok.t) {
      case 'field':
        return { kind: 'dot', fields: [tok.name, ...fieldsAfter()] };
      case 'dot':
        return { kind: 'dot', fields: [] };
      case 'root':
        return { kind: 'root', fields: fieldsAfter() };
      case 'literal':
        return { kind: 'literal', value: tok.value };
      case 'ident':
        return { kind: 'func', name: tok.name };
      case 'open': {
        const pipe = pipeline();
        if (tokens[pos++]?.t !== 'close') throw new TemplateError(`unclosed "(" in {{${body}}}`);
        return { kind: 'group', pipe, fields: fieldsAfter() };
      }
      default:
        throw new TemplateError(`unexpected "${tok.t === 'pipe' ? '|' : ')'}" in {{${body}}}`);
    }
  };
  const pipeline = (): Command[] => {
    const commands: Command[] = [];
    for (;;) {
      const command: Command = [];
      while (pos < tokens.length && tokens[pos].t !== 'pipe' && tokens[pos].t !== 'close') command.push(operand());
      if (command.length === 0) throw new TemplateError(`missing value for command in {{${body}}}`);
      commands.push(command);
      if (tokens[pos]?.t !== 'pipe') return commands;
      pos++;
    }
  };
  const pipe = pipeline();
  if (pos < tokens.length) throw new TemplateError(`unexpected ")" in {{${body}}}`);
  return pipe;
}

interface Scope {
  dot: unknown;
  options: GoTemplateOptions;
}

const NO_INPUT = Symbol('no input');

function evalPipe(pipe: Command[], scope: Scope, input: unknown): unknown {
  let value = input;
  for (const command of pipe) value = evalCommand(command, scope, value);
  return value;
}

function evalCommand(command: Command, scope: Scope, input: unknown): unknown {
  const [head, ...args] = command;
  if (head.kind === 'func') {
    const values = args.map((arg) => evalOperand(arg, scope));
    if (input !== NO_INPUT) values.push(input);
    return callFunction(head.name, values);
  }
  if (args.length > 0 || input !== NO_INPUT) throw new TemplateError(`can't give argument to non-function ${describe(head)}`);
  return evalOperand(head, scope);
}

function evalOperand(operand: Operand, scope: Scope): unknown {
  switch (operand.kind) {
    case 'literal':
      return operand.value;
    case 'func':
      return callFunction(operand.name, []);
    case 'dot':
    case 'root':
      // Without range/with, `.` is always the root.
      return fields(scope.dot, operand.fields, scope);
    case 'group':
      return fields(evalPipe(operand.pipe, scope, NO_INPUT), operand.fields, scope);
  }
}

function fields(value: unknown, names: string[], scope: Scope): unknown {
  let v = value;
  for (const name of names) {
    if (v === undefined) {
      // A missing key stays "no value" down the chain (text/template's invalid value).
      if (scope.options.missingKeyError) throw new TemplateError(`nil data; no entry for key "${name}"`);
      continue;
    }
    if (v === null) throw new TemplateError(`nil pointer evaluating interface {}.${name}`);
    if (!isRecord(v)) throw new TemplateError(`can't evaluate field ${name} in type ${goType(v)}`);
    if (Object.hasOwn(v, name)) v = v[name];
    else if (scope.options.missingKeyError) throw new TemplateError(`map has no entry for key "${name}"`);
    else v = undefined;
  }
  return v;
}

function describe(operand: Operand): string {
  if (operand.kind === 'literal') return JSON.stringify(operand.value);
  if (operand.kind === 'dot') return `.${operand.fields.join('.')}`;
  return operand.kind;
}

function goType(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  if (isRecord(v)) return 'map[string]interface {}';
  return 'interface {}';
}

function str(fn: string, v: unknown): string {
  if (typeof v !== 'string') throw new TemplateError(`${fn}: wrong type for value; expected string; got ${v === undefined ? 'no value' : goType(v)}`);
  return v;
}

/** Sprig's notion of empty, used by `default`. */
function empty(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isRecord(v)) return Object.keys(v).length === 0;
  return false;
}

const FUNCTIONS: Record<string, { arity: number | [number, number]; fn: (...args: unknown[]) => unknown }> = {
  index: {
    arity: [1, Infinity],
    fn: (coll, ...keys) => {
      let v = coll;
      for (const key of keys) {
        if (Array.isArray(v)) {
          if (typeof key !== 'number' || !Number.isInteger(key)) throw new TemplateError(`index: cannot index slice with ${goType(key)}`);
          if (key < 0 || key >= v.length) throw new TemplateError(`index: index out of range: ${key}`);
          v = v[key];
        } else if (isRecord(v)) {
          v = Object.hasOwn(v, str('index', key)) ? v[key as string] : undefined;
        } else {
          throw new TemplateError(`index: can't index item of type ${v === undefined || v === null ? 'nil' : goType(v)}`);
        }
      }
      return v;
    },
  },
  default: { arity: [1, 2], fn: (fallback, ...given) => (given.length === 0 || empty(given[0]) ? fallback : given[0]) },
  lower: { arity: 1, fn: (s) => str('lower', s).toLowerCase() },
  upper: { arity: 1, fn: (s) => str('upper', s).toUpperCase() },
  replace: { arity: 3, fn: (from, to, s) => str('replace', s).replaceAll(str('replace', from), str('replace', to)) },
  trimPrefix: { arity: 2, fn: (p, s) => (str('trimPrefix', s).startsWith(str('trimPrefix', p)) ? (s as string).slice((p as string).length) : s) },
  trimSuffix: {
    arity: 2,
    fn: (p, s) => (str('trimSuffix', s).endsWith(str('trimSuffix', p)) && (p as string) !== '' ? (s as string).slice(0, -(p as string).length) : s),
  },
  trim: { arity: 1, fn: (s) => str('trim', s).trim() },
  quote: {
    arity: [0, Infinity],
    fn: (...args) =>
      args
        .filter((a) => a !== undefined && a !== null)
        .map((a) => goQuote(formatValue(a)))
        .join(' '),
  },
  printf: { arity: [1, Infinity], fn: (format, ...args) => sprintf(str('printf', format), args) },
  join: { arity: 2, fn: (sep, list) => (Array.isArray(list) ? list.map((x) => (x === null ? '' : formatValue(x))).join(str('join', sep)) : formatValue(list)) },
  base: { arity: 1, fn: (s) => goPathBase(str('base', s)) },
  dir: { arity: 1, fn: (s) => goPathDir(str('dir', s)) },
  normalize: { arity: 1, fn: (s) => sanitizeName(str('normalize', s)) },
};

function callFunction(name: string, args: unknown[]): unknown {
  const f = FUNCTIONS[name];
  if (!f) throw new TemplateError(`function "${name}" is not supported (supported: ${Object.keys(FUNCTIONS).join(', ')})`);
  const [min, max] = typeof f.arity === 'number' ? [f.arity, f.arity] : f.arity;
  if (args.length < min || args.length > max) throw new TemplateError(`wrong number of args for ${name}: got ${args.length}`);
  return f.fn(...args.map((a) => (a === undefined ? null : a)));
}

function sprintf(format: string, args: unknown[]): string {
  let n = 0;
  return format
    .replace(/%([%svdq])/g, (_, verb: string) => {
      if (verb === '%') return '%';
      if (n >= args.length) return `%!${verb}(MISSING)`;
      const arg = args[n++];
      if (verb === 'd') {
        if (typeof arg !== 'number' || !Number.isInteger(arg)) throw new TemplateError(`printf: %d needs an integer, got ${goType(arg)}`);
        return String(arg);
      }
      if (verb === 's' && typeof arg !== 'string') throw new TemplateError(`printf: %s needs a string, got ${goType(arg)}`);
      return verb === 'q' ? goQuote(formatValue(arg)) : formatValue(arg);
    })
    .replace(/%[^%svdq]/, (m) => {
      throw new TemplateError(`printf verb ${m} is not supported`);
    });
}

function goQuote(s: string): string {
  if (/[^\x20-\x7e]/.test(s)) throw new TemplateError('quote: non-ASCII text is not supported');
  return JSON.stringify(s);
}

/** What `{{ x }}` prints. */
function printValue(v: unknown): string {
  return v === undefined || v === null ? '<no value>' : formatValue(v);
}

/** Go's %v for the values JSON unmarshalling yields. */
export function formatValue(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return formatFloat(v);
  if (Array.isArray(v)) return `[${v.map(formatValue).join(' ')}]`;
  if (isRecord(v))
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${formatValue(v[k])}`)
      .join(' ')}]`;
  return String(v);
}

/** Go's %v of a float64 (%g, shortest digits): exponent form when the decimal exponent is < -4 or >= 6. */
function formatFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  if (x === 0) return '0';
  const [mantissa, exponent] = x.toExponential().split('e');
  const exp = Number(exponent);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(x);
}

function goPathBase(p: string): string {
  if (p === '') return '.';
  const trimmed = p.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

function goPathDir(p: string): string {
  const i = p.lastIndexOf('/');
  const dir = p.slice(0, i + 1).replace(/\/+$/, '') || (p.startsWith('/') ? '/' : '.');
  return dir;
}

/** ArgoCD's SanitizeName (`basenameNormalized`, `normalize`): lowercase DNS-1123-ish name. */
export function sanitizeName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^-a-z0-9.]/g, '-')
    .slice(0, 253)
    .replace(/^[-.]+|[-.]+$/g, '');
}

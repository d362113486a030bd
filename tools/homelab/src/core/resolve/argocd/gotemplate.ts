/**
 * Go's text/template as ArgoCD runs it for ApplicationSets (`goTemplate: true`): every template string is parsed
 * and executed on its own against the parameter set, with sprig's functions and ArgoCD's additions (sprig.ts) and
 * Go's builtins (and, or, not, len, index, print, printf, println, eq, ne, lt, le, gt, ge, html, urlquery).
 * Semantics follow Go, not JavaScript: a missing key is "no value" (`<no value>` when printed) unless
 * `missingkey=error`; `if`/`with`/`and`/`or` use Go's truth; numbers from the parameters are float64 while literals
 * and integer functions give int, and comparing the two is an error; functions check their parameter types; a
 * function that exists in ArgoCD but not here is refused when the template is parsed.
 */

import { sprint, sprintf, sprintln } from './go-fmt.ts';
import { formatValue, goType, isMap, isTrue, printValue, TemplateError } from './go-values.ts';
import { type Arg, type Command, type Node, type Parsed, type Pipe, parseTemplate } from './gotemplate-parse.ts';
import { type GoFunc, type Param, SPRIG, UNSUPPORTED } from './sprig.ts';

export { formatValue, TemplateError } from './go-values.ts';
export { sanitizeName } from './sprig.ts';

export interface GoTemplateOptions {
  /** `goTemplateOptions: ["missingkey=error"]` (also `zero`, `invalid`/`default`, the default). */
  missingKey: 'invalid' | 'zero' | 'error';
  /** Options Go's template.Option refuses (ArgoCD fails the ApplicationSet on them). */
  unknown?: string[];
}

/** `spec.goTemplateOptions` as template.Option reads them; the last missingkey wins. */
export function goTemplateOptions(list: unknown[]): GoTemplateOptions {
  const options: GoTemplateOptions = { missingKey: 'invalid' };
  for (const option of list) {
    const m = typeof option === 'string' ? /^missingkey=(default|invalid|zero|error)$/.exec(option) : null;
    if (m) options.missingKey = m[1] === 'default' ? 'invalid' : (m[1] as GoTemplateOptions['missingKey']);
    else (options.unknown ??= []).push(String(option));
  }
  return options;
}

const MISSING = Symbol('missing');
const MAX_DEPTH = 1000;

const fn = (params: Param[], f: GoFunc['fn'], variadic?: Param): GoFunc => ({ params, fn: f, variadic });

/** Go's eq/lt on basic kinds: int with int, float64 with float64, string with string; nil equals only nil. */
function basic(v: unknown): string {
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'string' || typeof v === 'boolean') return typeof v === 'string' ? 'string' : 'bool';
  return v === undefined || v === null ? 'invalid' : 'other';
}

function eq(a: unknown, ...bs: unknown[]): boolean {
  if (bs.length === 0) throw new TemplateError('missing argument for comparison');
  const ka = basic(a);
  for (const b of bs) {
    const kb = basic(b);
    if (ka !== kb) {
      if (ka !== 'invalid' && kb !== 'invalid') throw new TemplateError(`incompatible types for comparison: ${goType(a)} and ${goType(b)}`);
      continue;
    }
    if (ka === 'other') throw new TemplateError(`non-comparable type ${formatValue(b)}: ${goType(b)}`);
    if (ka === 'invalid' || a === b) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const ka = basic(a);
  const kb = basic(b);
  if (!['int', 'float64', 'string', 'bool'].includes(ka) || !['int', 'float64', 'string', 'bool'].includes(kb))
    throw new TemplateError('invalid type for comparison');
  if (ka !== kb) throw new TemplateError(`incompatible types for comparison: ${goType(a)} and ${goType(b)}`);
  if (ka === 'bool') throw new TemplateError('invalid type for comparison');
  return (a as string | number | bigint) < (b as string | number | bigint);
}

function index(item: unknown, ...keys: unknown[]): unknown {
  if (item === undefined || item === null) throw new TemplateError('index of untyped nil');
  let v: unknown = item;
  for (const key of keys) {
    if (v === null || v === undefined) throw new TemplateError('index of nil pointer');
    if (Array.isArray(v) || typeof v === 'string') {
      if (key === null || key === undefined) throw new TemplateError('cannot index slice/array with nil');
      if (typeof key !== 'bigint') throw new TemplateError(`cannot index slice/array with type ${goType(key)}`);
      const length = typeof v === 'string' ? Buffer.byteLength(v) : v.length;
      if (key < 0n || key >= BigInt(length)) throw new TemplateError(`index out of range: ${key}`);
      v = typeof v === 'string' ? BigInt(Buffer.from(v)[Number(key)]) : v[Number(key)];
    } else if (isMap(v)) {
      if (typeof key !== 'string')
        throw new TemplateError(
          key === null || key === undefined ? 'value is nil; should be of type string' : `value has type ${goType(key)}; should be string`,
        );
      // A missing key is the map's zero value: a nil interface.
      v = Object.hasOwn(v, key) ? v[key] : null;
    } else {
      throw new TemplateError(`can't index item of type ${goType(v)}`);
    }
  }
  return v;
}

function len(v: unknown): bigint {
  if (typeof v === 'string') return BigInt(Buffer.byteLength(v));
  if (Array.isArray(v)) return BigInt(v.length);
  if (isMap(v)) return BigInt(Object.keys(v).length);
  if (v === undefined || v === null) throw new TemplateError('len of nil pointer');
  throw new TemplateError(`len of type ${goType(v)}`);
}

const HTML: Record<string, string> = { '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;', '\0': '\uFFFD' };

/** html/urlquery print their arguments as text/template does (a missing value is `<no value>`). */
function evalArgs(args: unknown[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args.map((a) => (a === undefined || a === null ? '<no value>' : a)));
}

const BUILTINS: Record<string, GoFunc> = {
  and: fn(['value'], () => undefined, 'value'),
  or: fn(['value'], () => undefined, 'value'),
  not: fn(['value'], (v: unknown) => !isTrue(v)),
  len: fn(['value'], len),
  index: fn(['value'], index, 'value'),
  print: fn([], (...args: unknown[]) => sprint(args), 'any'),
  println: fn([], (...args: unknown[]) => sprintln(args), 'any'),
  printf: fn(['string'], (format: string, ...args: unknown[]) => sprintf(format, args), 'any'),
  eq: fn(['value'], eq, 'value'),
  ne: fn(['value', 'value'], (a: unknown, b: unknown) => !eq(a, b)),
  lt: fn(['value', 'value'], lt),
  le: fn(['value', 'value'], (a: unknown, b: unknown) => lt(a, b) || eq(a, b)),
  gt: fn(['value', 'value'], (a: unknown, b: unknown) => !(lt(a, b) || eq(a, b))),
  ge: fn(['value', 'value'], (a: unknown, b: unknown) => !lt(a, b)),
  html: fn([], (...args: unknown[]) => evalArgs(args).replace(/["'&<>\0]/g, (c) => HTML[c]), 'value'),
  urlquery: fn(
    [],
    (...args: unknown[]) =>
      encodeURIComponent(evalArgs(args))
        .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
        .replaceAll('%20', '+'),
    'value',
  ),
};

/** Sprig's functions win over Go's builtins of the same name (`slice`), as template.Funcs does. */
const FUNCTIONS: Record<string, GoFunc> = { ...BUILTINS, ...SPRIG };

function isFunction(name: string): boolean {
  if (Object.hasOwn(FUNCTIONS, name)) return true;
  if (UNSUPPORTED.has(name)) {
    throw new TemplateError(`function "${name}" is not supported by homelab (its output would differ between renders, or it is not implemented)`);
  }
  return false;
}

const TYPE_NAMES: Record<Param, string> = {
  any: 'interface {}',
  value: 'reflect.Value',
  string: 'string',
  int: 'int',
  float: 'float64',
  bool: 'bool',
  map: 'map[string]interface {}',
};

/** Thrown by {{break}} and {{continue}}, caught by the enclosing range. */
class Control {
  readonly kind: 'break' | 'continue';
  constructor(kind: 'break' | 'continue') {
    this.kind = kind;
  }
}

interface State {
  vars: { name: string; value: unknown }[];
  options: GoTemplateOptions;
  defines: Map<string, Node[]>;
  depth: number;
}

const cache = new Map<string, Parsed>();

export function renderGoTemplate(source: string, data: unknown, options: GoTemplateOptions): string {
  if (options.unknown?.length)
    throw new TemplateError(`unrecognized goTemplateOptions: ${options.unknown.join(', ')} (Go accepts missingkey=default|invalid|zero|error)`);
  if (!source.includes('{{')) return source;
  let parsed = cache.get(source);
  if (!parsed) {
    parsed = parseTemplate(source, isFunction);
    cache.set(source, parsed);
  }
  const out: string[] = [];
  walk({ vars: [{ name: '$', value: data }], options, defines: parsed.defines, depth: 0 }, data, parsed.root, out);
  return out.join('');
}

function walk(state: State, dot: unknown, nodes: Node[], out: string[]): void {
  for (const node of nodes) {
    switch (node.t) {
      case 'text':
        out.push(node.text);
        break;
      case 'action': {
        const value = pipeline(state, dot, node.pipe);
        if (node.pipe.decl.length === 0) out.push(printValue(value));
        break;
      }
      case 'if':
      case 'with': {
        const mark = state.vars.length;
        const value = pipeline(state, dot, node.pipe);
        if (isTrue(value)) walk(state, node.t === 'with' ? value : dot, node.list, out);
        else if (node.else) walk(state, dot, node.else, out);
        state.vars.length = mark;
        break;
      }
      case 'range':
        walkRange(state, dot, node, out);
        break;
      case 'break':
      case 'continue':
        throw new Control(node.t);
      case 'template': {
        const body = state.defines.get(node.name);
        if (!body) throw new TemplateError(`no such template "${node.name}"`);
        if (state.depth >= MAX_DEPTH) throw new TemplateError(`exceeded maximum template depth (${MAX_DEPTH})`);
        const value = node.pipe ? pipeline(state, dot, node.pipe) : undefined;
        walk({ ...state, vars: [{ name: '$', value }], depth: state.depth + 1 }, value, body, out);
        break;
      }
    }
  }
}

function walkRange(state: State, dot: unknown, node: Extract<Node, { t: 'range' }>, out: string[]): void {
  const mark = state.vars.length;
  const value = pipeline(state, dot, node.pipe);
  const decl = node.pipe.decl;
  const inner = state.vars.length;
  let ran = false;
  const once = (key: unknown, elem: unknown): boolean => {
    ran = true;
    if (node.pipe.assign) {
      // One variable gets the element; with two, the first gets the index or key.
      if (decl.length > 1) setVar(state, decl[0], key);
      setVar(state, decl[decl.length - 1], elem);
    } else if (decl.length > 0) {
      state.vars[inner - 1].value = elem;
      if (decl.length > 1) state.vars[inner - 2].value = key;
    }
    try {
      walk(state, elem, node.list, out);
    } catch (err) {
      if (!(err instanceof Control)) throw err;
      if (err.kind === 'break') return false;
    } finally {
      state.vars.length = inner;
    }
    return true;
  };
  if (Array.isArray(value)) {
    for (const [i, elem] of value.entries()) if (!once(BigInt(i), elem)) break;
  } else if (isMap(value)) {
    for (const key of Object.keys(value).sort()) if (!once(key, value[key])) break;
  } else if (typeof value === 'bigint') {
    if (decl.length > 1) throw new TemplateError(`can't use ${value} to iterate over more than one variable`);
    for (let i = 0n; i < value; i++) if (!once(i, i)) break;
  } else if (value !== undefined && value !== null) {
    throw new TemplateError(`range can't iterate over ${formatValue(value)}`);
  }
  if (!ran && node.else) walk(state, dot, node.else, out);
  state.vars.length = mark;
}

function setVar(state: State, name: string, value: unknown): void {
  for (let i = state.vars.length - 1; i >= 0; i--) {
    if (state.vars[i].name === name) {
      state.vars[i].value = value;
      return;
    }
  }
  throw new TemplateError(`undefined variable: ${name}`);
}

function varValue(state: State, name: string): unknown {
  for (let i = state.vars.length - 1; i >= 0; i--) if (state.vars[i].name === name) return state.vars[i].value;
  throw new TemplateError(`undefined variable: ${name}`);
}

/** Evaluates an action's pipeline; errors name the action. */
function pipeline(state: State, dot: unknown, pipe: Pipe): unknown {
  try {
    return evalPipeline(state, dot, pipe);
  } catch (err) {
    if (err instanceof TemplateError && !err.message.startsWith('at {{')) throw new TemplateError(`at {{${pipe.text}}}: ${err.message}`);
    throw err;
  }
}

function evalPipeline(state: State, dot: unknown, pipe: Pipe): unknown {
  let value: unknown = MISSING;
  for (const command of pipe.cmds) {
    value = evalCommand(state, dot, command, value);
    // Go digs a value out of its interface{} after each command: a nil interface becomes no value.
    if (value === null) value = undefined;
  }
  for (const name of pipe.decl) {
    if (pipe.assign) setVar(state, name, value);
    else state.vars.push({ name, value });
  }
  return value;
}

function notAFunction(command: Command, final: unknown): void {
  if (command.length > 1 || final !== MISSING) throw new TemplateError(`can't give argument to non-function ${describe(command[0])}`);
}

function describe(arg: Arg): string {
  switch (arg.t) {
    case 'field':
      return `.${arg.fields.join('.')}`;
    case 'var':
      return [arg.name, ...arg.fields].join('.');
    case 'lit':
      return arg.text;
    case 'ident':
      return arg.name;
    case 'nil':
      return 'nil';
    case 'dot':
      return '.';
    case 'pipe':
      return '(…)';
  }
}

function evalCommand(state: State, dot: unknown, command: Command, final: unknown): unknown {
  const first = command[0];
  switch (first.t) {
    case 'field':
      return fieldChain(state, dot, first.fields, command.length > 1 || final !== MISSING);
    case 'var':
      if (first.fields.length === 0) {
        notAFunction(command, final);
        return varValue(state, first.name);
      }
      return fieldChain(state, varValue(state, first.name), first.fields, command.length > 1 || final !== MISSING);
    case 'pipe':
      if (first.fields.length === 0) {
        notAFunction(command, final);
        return evalPipeline(state, dot, first.pipe);
      }
      return fieldChain(state, evalPipeline(state, dot, first.pipe), first.fields, command.length > 1 || final !== MISSING);
    case 'ident':
      return call(state, dot, first.name, command.slice(1), final);
    case 'nil':
      throw new TemplateError('nil is not a command');
    case 'dot':
      notAFunction(command, final);
      return dot;
    case 'lit':
      notAFunction(command, final);
      return first.value;
  }
}

function fieldChain(state: State, receiver: unknown, fields: string[], hasArgs: boolean): unknown {
  let v = receiver;
  fields.forEach((name, i) => {
    v = field(state, v, name, hasArgs && i === fields.length - 1);
  });
  return v;
}

function field(state: State, receiver: unknown, name: string, hasArgs: boolean): unknown {
  if (receiver === undefined) {
    if (state.options.missingKey === 'error') throw new TemplateError(`nil data; no entry for key "${name}"`);
    return undefined;
  }
  if (receiver === null) throw new TemplateError(`nil pointer evaluating interface {}.${name}`);
  if (!isMap(receiver)) throw new TemplateError(`can't evaluate field ${name} in type ${goType(receiver)}`);
  if (hasArgs) throw new TemplateError(`${name} is not a method but has arguments`);
  if (Object.hasOwn(receiver, name)) return receiver[name];
  if (state.options.missingKey === 'error') throw new TemplateError(`map has no entry for key "${name}"`);
  return state.options.missingKey === 'zero' ? null : undefined;
}

function call(state: State, dot: unknown, name: string, args: Arg[], final: unknown): unknown {
  const f = FUNCTIONS[name];
  const count = args.length + (final === MISSING ? 0 : 1);
  if (f.variadic ? count < f.params.length : count !== f.params.length) {
    throw new TemplateError(`wrong number of args for ${name}: want ${f.variadic ? 'at least ' : ''}${f.params.length} got ${count}`);
  }
  const paramOf = (i: number): Param => (i < f.params.length ? f.params[i] : f.variadic!);
  if (name === 'and' || name === 'or') {
    // and/or stop at the first argument that decides the result and return that argument.
    let value: unknown;
    for (let i = 0; i < count; i++) {
      value = i < args.length ? evalArg(state, dot, 'value', args[i]) : final;
      if (isTrue(value) === (name === 'or')) return value;
    }
    return value;
  }
  const argv = args.map((arg, i) => evalArg(state, dot, paramOf(i), arg));
  if (final !== MISSING) argv.push(checkType(final, paramOf(count - 1)));
  try {
    return f.fn(...argv);
  } catch (err) {
    if (err instanceof TemplateError) throw new TemplateError(`error calling ${name}: ${err.message}`);
    throw err;
  }
}

function evalArg(state: State, dot: unknown, param: Param, arg: Arg): unknown {
  switch (arg.t) {
    case 'dot':
      return checkType(dot, param);
    case 'nil':
      if (param === 'any' || param === 'value' || param === 'map') return null;
      throw new TemplateError(`cannot assign nil to ${TYPE_NAMES[param]}`);
    case 'field':
      return checkType(fieldChain(state, dot, arg.fields, false), param);
    case 'var':
      return checkType(fieldChain(state, varValue(state, arg.name), arg.fields, false), param);
    case 'pipe':
      return checkType(fieldChain(state, evalPipeline(state, dot, arg.pipe), arg.fields, false), param);
    case 'ident':
      return checkType(call(state, dot, arg.name, [], MISSING), param);
    case 'lit':
      return literal(arg, param);
  }
}

/** A literal given to a typed parameter: Go converts number constants, and refuses other mismatches. */
function literal(arg: Extract<Arg, { t: 'lit' }>, param: Param): unknown {
  const v = arg.value;
  switch (param) {
    case 'any':
    case 'value':
      return v;
    case 'int':
      if (typeof v === 'bigint') return v;
      if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
      throw new TemplateError(`expected integer; found ${arg.text}`);
    case 'float':
      if (typeof v === 'bigint' || typeof v === 'number') return Number(v);
      throw new TemplateError(`expected float; found ${arg.text}`);
    case 'string':
      if (typeof v === 'string') return v;
      throw new TemplateError(`expected string; found ${arg.text}`);
    case 'bool':
      if (typeof v === 'boolean') return v;
      throw new TemplateError(`expected bool; found ${arg.text}`);
    case 'map':
      throw new TemplateError(`can't handle ${arg.text} for arg of type ${TYPE_NAMES.map}`);
  }
}

/** Go's validateType: a computed value must already have the parameter's type. */
function checkType(v: unknown, param: Param): unknown {
  if (param === 'value') return v;
  if (v === undefined || v === null) {
    if (param === 'any' || param === 'map') return null;
    throw new TemplateError(
      v === undefined ? `invalid value; expected ${TYPE_NAMES[param]}` : `wrong type for value; expected ${TYPE_NAMES[param]}; got interface {}`,
    );
  }
  const ok =
    param === 'any' ||
    (param === 'string' && typeof v === 'string') ||
    (param === 'int' && typeof v === 'bigint') ||
    (param === 'float' && typeof v === 'number') ||
    (param === 'bool' && typeof v === 'boolean') ||
    (param === 'map' && isMap(v));
  if (!ok) throw new TemplateError(`wrong type for value; expected ${TYPE_NAMES[param]}; got ${goType(v)}`);
  return v;
}

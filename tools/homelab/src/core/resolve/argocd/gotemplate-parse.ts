/**
 * Go text/template's parser, for the template strings of ApplicationSets: text, actions with `{{-`/`-}}` trim markers
 * and comments, pipelines with declarations (`$x :=`, `$x =`, `$i, $v :=` in range), `if`/`else if`/`else`,
 * `range`, `with`/`else with`, `break`/`continue`, `define`/`template`/`block`. Variables are checked where they are
 * used and functions where they are named, as Go does at parse time (an unknown name fails even in a branch that
 * never runs).
 */

import { TemplateError } from './go-values.ts';

export type Arg =
  | { t: 'field'; fields: string[] }
  | { t: 'dot' }
  | { t: 'var'; name: string; fields: string[] }
  | { t: 'lit'; value: unknown; text: string }
  | { t: 'nil' }
  | { t: 'ident'; name: string }
  | { t: 'pipe'; pipe: Pipe; fields: string[] };
export type Command = Arg[];
export interface Pipe {
  decl: string[];
  assign: boolean;
  cmds: Command[];
  /** The action's source, named in errors. */
  text: string;
}
export type Node =
  | { t: 'text'; text: string }
  | { t: 'action'; pipe: Pipe }
  | ({ t: 'if' } & Branch)
  | ({ t: 'with' } & Branch)
  | ({ t: 'range' } & Branch)
  | { t: 'break' | 'continue' }
  | { t: 'template'; name: string; pipe?: Pipe };

export interface Branch {
  pipe: Pipe;
  list: Node[];
  else?: Node[];
}

export interface Parsed {
  root: Node[];
  defines: Map<string, Node[]>;
}

type Token =
  | { t: 'pipe' | 'open' | 'close' | 'declare' | 'assign' | 'comma' | 'dot' }
  | { t: 'field'; name: string; glued: boolean }
  | { t: 'var'; name: string }
  | { t: 'lit'; value: unknown; text: string }
  | { t: 'ident'; name: string };

const SPACE = /[ \t\r\n]/;
const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);

/** Raw pieces: text and action bodies, trim markers applied, comments dropped. */
function split(src: string): ({ text: string } | { action: string })[] {
  const out: ({ text: string } | { action: string })[] = [];
  let i = 0;
  for (;;) {
    const open = src.indexOf('{{', i);
    if (open < 0) {
      if (i < src.length) out.push({ text: src.slice(i) });
      return out;
    }
    let text = src.slice(i, open);
    let j = open + 2;
    if (src[j] === '-' && SPACE.test(src[j + 1] ?? '')) {
      text = text.replace(/[ \t\r\n]+$/, '');
      j += 2;
    }
    if (text) out.push({ text });
    const end = actionEnd(src, j);
    let inner = src.slice(j, end);
    let trimRight = false;
    if (inner.endsWith('-') && SPACE.test(inner[inner.length - 2] ?? '')) {
      inner = inner.slice(0, -2);
      trimRight = true;
    }
    const body = inner.trim();
    if (!(body.startsWith('/*') && body.endsWith('*/'))) out.push({ action: body });
    i = end + 2;
    if (trimRight) while (i < src.length && SPACE.test(src[i])) i++;
  }
}

function actionEnd(src: string, from: number): number {
  if (src.slice(from).trimStart().startsWith('/*')) {
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

const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', "'": "'", '"': '"' };

/** Go's strconv.Unquote for "…" and '…' bodies. */
function unescape(body: string, quoted: string): string {
  return body.replace(/\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|[0-7]{3}|.)/g, (_, e: string) => {
    if (e.length === 1) {
      if (ESCAPES[e] === undefined) throw new TemplateError(`invalid syntax in string ${quoted}`);
      return ESCAPES[e];
    }
    if (/^[0-7]{3}$/.test(e)) return String.fromCharCode(Number.parseInt(e, 8));
    return String.fromCodePoint(Number.parseInt(e.slice(1), 16));
  });
}

/** A Go number literal: an int (bigint) unless it is written as a float; `'c'` is the rune's int. */
function number(text: string): unknown {
  const clean = text.replaceAll('_', '');
  const negative = clean.startsWith('-');
  const body = clean.replace(/^[+-]/, '');
  if (/^0[xX][0-9a-fA-F]+$|^0[bB][01]+$|^0[oO][0-7]+$/.test(body)) return BigInt(clean.replace(/^([+-]?)0[oO]/, '$10o'));
  if (/^0[0-7]+$/.test(body)) return BigInt(`${negative ? '-' : ''}0o${body.slice(1)}`);
  if (/^\d+$/.test(body)) return BigInt(clean);
  const value = Number(clean);
  if (Number.isNaN(value)) throw new TemplateError(`bad number syntax: "${text}"`);
  return value;
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
    else if (c === ',') tokens.push({ t: 'comma' }), i++;
    else if (rest.startsWith(':=')) tokens.push({ t: 'declare' }), (i += 2);
    else if (c === '=') tokens.push({ t: 'assign' }), i++;
    else if ((m = rest.match(/^\.([A-Za-z_][A-Za-z0-9_]*)/))) tokens.push({ t: 'field', name: m[1], glued }), (i += m[0].length);
    else if ((m = rest.match(/^\$[A-Za-z0-9_]*/))) tokens.push({ t: 'var', name: m[0] }), (i += m[0].length);
    else if ((m = rest.match(/^"((?:[^"\\\n]|\\.)*)"/))) tokens.push({ t: 'lit', value: unescape(m[1], m[0]), text: m[0] }), (i += m[0].length);
    else if ((m = rest.match(/^`([^`]*)`/))) tokens.push({ t: 'lit', value: m[1], text: m[0] }), (i += m[0].length);
    else if ((m = rest.match(/^'((?:[^'\\\n]|\\.)+)'/))) {
      const chars = [...unescape(m[1], m[0])];
      if (chars.length !== 1) throw new TemplateError(`malformed character constant: ${m[0]}`);
      tokens.push({ t: 'lit', value: BigInt(chars[0].codePointAt(0)!), text: m[0] });
      i += m[0].length;
    } else if ((m = rest.match(/^[+-]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?)(?![A-Za-z0-9_])/))) {
      tokens.push({ t: 'lit', value: number(m[0]), text: m[0] });
      i += m[0].length;
    } else if (c === '.') tokens.push({ t: 'dot' }), i++;
    else if ((m = rest.match(/^[A-Za-z_][A-Za-z0-9_]*/))) {
      const name = m[0];
      if (name === 'true' || name === 'false') tokens.push({ t: 'lit', value: name === 'true', text: name });
      else tokens.push({ t: 'ident', name });
      i += name.length;
    } else {
      throw new TemplateError(`unexpected "${c}" in {{${body}}}`);
    }
    glued = true;
  }
  return tokens;
}

/**
 * Parses a template. `isFunction(name)` says whether a function exists; it throws itself for a function that exists
 * in ArgoCD but is not implemented here.
 */
export function parseTemplate(src: string, isFunction: (name: string) => boolean): Parsed {
  const pieces = split(src);
  const defines = new Map<string, Node[]>();
  let p = 0;
  let vars: string[] = ['$'];
  let rangeDepth = 0;

  const keywordOf = (body: string): string | undefined => {
    const m = body.match(/^([A-Za-z_][A-Za-z0-9_]*)(?![A-Za-z0-9_])/);
    return m && KEYWORDS.has(m[1]) ? m[1] : undefined;
  };

  const pipeline = (body: string, context: string): Pipe => {
    const tokens = lex(body);
    let pos = 0;
    const decl: string[] = [];
    let assign = false;
    if (tokens[0]?.t === 'var') {
      const next = tokens[1]?.t;
      if (next === 'declare' || next === 'assign') {
        decl.push((tokens[0] as { name: string }).name);
        assign = next === 'assign';
        pos = 2;
      } else if (next === 'comma' && context === 'range' && tokens[2]?.t === 'var' && tokens[3]?.t === 'declare') {
        decl.push((tokens[0] as { name: string }).name, (tokens[2] as { name: string }).name);
        pos = 4;
      } else if (next === 'comma') {
        throw new TemplateError(context === 'range' ? 'range can only initialize variables' : `too many declarations in ${context}`);
      }
    }
    if (assign && !vars.includes(decl[0])) throw new TemplateError(`undefined variable "${decl[0]}"`);
    const fieldsAfter = (): string[] => {
      const fields: string[] = [];
      for (let tok = tokens[pos]; tok?.t === 'field' && tok.glued; tok = tokens[pos]) fields.push(tok.name), pos++;
      return fields;
    };
    const operand = (): Arg => {
      const tok = tokens[pos++];
      let arg: Arg;
      switch (tok.t) {
        case 'field':
          return { t: 'field', fields: [tok.name, ...fieldsAfter()] };
        case 'dot':
          arg = { t: 'dot' };
          break;
        case 'var':
          if (!vars.includes(tok.name)) throw new TemplateError(`undefined variable "${tok.name}"`);
          return { t: 'var', name: tok.name, fields: fieldsAfter() };
        case 'lit':
          arg = { t: 'lit', value: tok.value, text: tok.text };
          break;
        case 'ident':
          if (tok.name === 'nil') arg = { t: 'nil' };
          else if (KEYWORDS.has(tok.name)) throw new TemplateError(`unexpected <${tok.name}> in {{${body}}}`);
          else if (!isFunction(tok.name)) throw new TemplateError(`function "${tok.name}" not defined`);
          else arg = { t: 'ident', name: tok.name };
          break;
        case 'open': {
          const pipe = cmds();
          if (tokens[pos++]?.t !== 'close') throw new TemplateError(`unclosed left paren in {{${body}}}`);
          return { t: 'pipe', pipe: { decl: [], assign: false, cmds: pipe, text: body }, fields: fieldsAfter() };
        }
        default:
          throw new TemplateError(`unexpected "${{ pipe: '|', close: ')', declare: ':=', assign: '=', comma: ',' }[tok.t]}" in {{${body}}}`);
      }
      if (tokens[pos]?.t === 'field' && (tokens[pos] as { glued: boolean }).glued) throw new TemplateError(`unexpected . after term in {{${body}}}`);
      return arg;
    };
    const cmds = (): Command[] => {
      const list: Command[] = [];
      for (;;) {
        const command: Command = [];
        while (pos < tokens.length && tokens[pos].t !== 'pipe' && tokens[pos].t !== 'close') command.push(operand());
        if (command.length === 0) throw new TemplateError(`missing value for command in {{${body}}}`);
        list.push(command);
        if (tokens[pos]?.t !== 'pipe') return list;
        pos++;
      }
    };
    const list = cmds();
    if (pos < tokens.length) throw new TemplateError(`unexpected ")" in {{${body}}}`);
    list.slice(1).forEach((command, i) => {
      if (['lit', 'dot', 'nil'].includes(command[0].t)) throw new TemplateError(`non executable command in pipeline stage ${i + 2} in {{${body}}}`);
    });
    if (!assign) vars.push(...decl);
    return { decl, assign, cmds: list, text: body };
  };

  /** Nodes up to `{{end}}` or `{{else…}}`; returns which ended the list. */
  const itemList = (context: string): { nodes: Node[]; end: string } => {
    const nodes: Node[] = [];
    while (p < pieces.length) {
      const piece = pieces[p++];
      if ('text' in piece) {
        nodes.push({ t: 'text', text: piece.text });
        continue;
      }
      const body = piece.action;
      const keyword = keywordOf(body);
      const rest = keyword ? body.slice(keyword.length).trim() : body;
      switch (keyword) {
        case undefined:
          nodes.push({ t: 'action', pipe: pipeline(body, 'command') });
          break;
        case 'end':
        case 'else':
          if (context === 'top') throw new TemplateError(`unexpected {{${keyword}}}`);
          return { nodes, end: body };
        case 'if':
        case 'with':
        case 'range':
          nodes.push(control(keyword, rest));
          break;
        case 'break':
        case 'continue':
          if (rangeDepth === 0) throw new TemplateError(`{{${keyword}}} outside {{range}}`);
          nodes.push({ t: keyword });
          break;
        case 'template':
        case 'block':
        case 'define': {
          const m = rest.match(/^("(?:[^"\\]|\\.)*"|`[^`]*`)\s*(.*)$/s);
          if (!m) throw new TemplateError(`{{${keyword}}} needs a quoted template name`);
          const name = m[1].startsWith('`') ? m[1].slice(1, -1) : unescape(m[1].slice(1, -1), m[1]);
          if (keyword === 'template') {
            nodes.push({ t: 'template', name, pipe: m[2] ? pipeline(m[2], 'template') : undefined });
            break;
          }
          const outer = vars;
          const pipe = keyword === 'block' && m[2] ? pipeline(m[2], 'block') : undefined;
          vars = ['$'];
          const body = itemList('define');
          vars = outer;
          if (body.end !== 'end') throw new TemplateError(`unexpected {{${body.end}}} in {{${keyword}}}`);
          defines.set(name, body.nodes);
          if (keyword === 'block') nodes.push({ t: 'template', name, pipe });
          break;
        }
      }
    }
    if (context !== 'top') throw new TemplateError(`unexpected EOF: {{${context}}} has no {{end}}`);
    return { nodes, end: '' };
  };

  const control = (keyword: 'if' | 'with' | 'range', rest: string): Node => {
    const mark = vars.length;
    const pipe = pipeline(rest, keyword);
    if (keyword === 'range') rangeDepth++;
    const body = itemList(keyword);
    if (keyword === 'range') rangeDepth--;
    let elseList: Node[] | undefined;
    if (body.end !== 'end') {
      const chained = body.end.slice('else'.length).trim();
      const chainedKeyword = keywordOf(chained);
      if (chained === '') {
        const tail = itemList(keyword);
        if (tail.end !== 'end') throw new TemplateError(`expected {{end}}, found {{${tail.end}}}`);
        elseList = tail.nodes;
      } else if ((chainedKeyword === 'if' && keyword === 'if') || (chainedKeyword === 'with' && keyword === 'with')) {
        // `{{else if x}}…{{end}}` is `{{else}}{{if x}}…{{end}}{{end}}`: the chain shares the one {{end}}.
        elseList = [control(chainedKeyword, chained.slice(chainedKeyword.length).trim())];
      } else {
        throw new TemplateError(`unexpected {{${body.end}}} in {{${keyword}}}`);
      }
    }
    vars = vars.slice(0, mark);
    return { t: keyword, pipe, list: body.nodes, else: elseList };
  };

  const root = itemList('top').nodes;
  return { root, defines };
}

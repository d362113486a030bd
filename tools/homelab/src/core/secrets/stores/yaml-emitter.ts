/**
 * A port of the parts of go-yaml v3's encoder and libyaml emitter that sops exercises (block
 * mappings and sequences, empty flow collections, plain/quoted/literal scalars, head/line/foot
 * comments), so that files we write are byte-identical to what sops writes for the same tree.
 * Everything else YAML can express (anchors, tags, flow styles, folded scalars) never reaches it.
 */

export type ScalarStyle = 'plain' | 'single' | 'double' | 'literal';

export interface YNode {
  kind: 'map' | 'seq' | 'scalar';
  /** Scalar text. */
  value?: string;
  /** The style yaml.v3 asks for (it may still be downgraded by the emitter, as libyaml does). */
  style?: ScalarStyle;
  /** A tag to write explicitly (only `!!binary`). */
  tag?: string;
  content?: YNode[];
  head?: string;
  line?: string;
  foot?: string;
}

type EventType = 'doc-start' | 'doc-end' | 'map-start' | 'map-end' | 'seq-start' | 'seq-end' | 'scalar';

interface YEvent {
  type: EventType;
  value?: string;
  style?: ScalarStyle;
  tag?: string;
  head?: string;
  line?: string;
  foot?: string;
  tail?: string;
}

/** encoder.node(): nodes to events, moving each key's foot comment to the next event as its tail. */
function toEvents(node: YNode, tail: string, out: YEvent[]): void {
  switch (node.kind) {
    case 'map': {
      out.push({ type: 'map-start', head: node.head, tail });
      let pending = '';
      const content = node.content ?? [];
      for (let i = 0; i + 1 < content.length; i += 2) {
        const key = content[i];
        const foot = key.foot ?? '';
        toEvents(foot ? { ...key, foot: undefined } : key, pending, out);
        pending = foot;
        toEvents(content[i + 1], '', out);
      }
      out.push({ type: 'map-end', tail: pending, line: node.line, foot: node.foot });
      return;
    }
    case 'seq':
      out.push({ type: 'seq-start', head: node.head });
      for (const item of node.content ?? []) toEvents(item, '', out);
      out.push({ type: 'seq-end', line: node.line, foot: node.foot });
      return;
    case 'scalar':
      out.push({
        type: 'scalar',
        value: node.value ?? '',
        style: node.style ?? 'plain',
        tag: node.tag,
        head: node.head,
        line: node.line,
        foot: node.foot,
        tail,
      });
  }
}

type State =
  | 'doc-start'
  | 'doc-content'
  | 'doc-end'
  | 'flow-seq-first'
  | 'flow-seq'
  | 'flow-map-first'
  | 'flow-map-key'
  | 'block-seq-first'
  | 'block-seq-item'
  | 'block-map-first-key'
  | 'block-map-key'
  | 'block-map-simple-value'
  | 'block-map-value'
  | 'end';

interface ScalarAnalysis {
  multiline: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

const isBreak = (c: number): boolean => c === 0x0a || c === 0x0d || c === 0x85 || c === 0x2028 || c === 0x2029;
const isPrintable = (c: number): boolean =>
  c === 0x0a || (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff);

/** yaml_emitter_analyze_scalar. */
function analyze(value: string): ScalarAnalysis {
  if (value === '') {
    return { multiline: false, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: false };
  }
  const cps = Array.from(value, (ch) => ch.codePointAt(0) as number);
  let blockIndicators = false;
  let lineBreaks = false;
  let special = false;
  let tabs = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let precededByWhitespace = true;
  let previousSpace = false;
  let previousBreak = false;
  if (value.startsWith('---') || value.startsWith('...')) blockIndicators = true;
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i];
    const next = cps[i + 1];
    const followedByWhitespace = next === undefined || next === 0x20 || next === 0x09 || isBreak(next);
    const ch = String.fromCodePoint(c);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true;
      else if ((ch === '?' || ch === ':' || ch === '-') && followedByWhitespace) blockIndicators = true;
    } else if (ch === ':' && followedByWhitespace) blockIndicators = true;
    else if (ch === '#' && precededByWhitespace) blockIndicators = true;
    if (c === 0x09) tabs = true;
    else if (!isPrintable(c)) special = true;
    if (c === 0x20) {
      if (i === 0) leadingSpace = true;
      if (i === cps.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(c)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i === cps.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = c === 0x20 || c === 0x09 || isBreak(c);
  }
  let blockPlainAllowed = true;
  let singleQuotedAllowed = true;
  let blockAllowed = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) blockPlainAllowed = false;
  if (trailingSpace) blockAllowed = false;
  if (breakSpace) {
    blockPlainAllowed = false;
    singleQuotedAllowed = false;
  }
  if (spaceBreak || tabs || special) {
    blockPlainAllowed = false;
    singleQuotedAllowed = false;
  }
  if (spaceBreak || special) blockAllowed = false;
  if (lineBreaks) blockPlainAllowed = false;
  if (blockIndicators) blockPlainAllowed = false;
  return { multiline: lineBreaks, blockPlainAllowed, singleQuotedAllowed, blockAllowed };
}

const DOUBLE_ESCAPES: Record<number, string> = {
  0x00: '0',
  0x07: 'a',
  0x08: 'b',
  0x09: 't',
  0x0a: 'n',
  0x0b: 'v',
  0x0c: 'f',
  0x0d: 'r',
  0x1b: 'e',
  0x22: '"',
  0x5c: '\\',
  0x85: 'N',
  0xa0: '_',
  0x2028: 'L',
  0x2029: 'P',
};

class Emitter {
  private out = '';
  private column = 0;
  private whitespace = true;
  private indention = true;
  private footIndent = -1;
  private indent = -1;
  private readonly indents: number[] = [];
  private readonly states: State[] = [];
  private state: State = 'doc-start';
  private flowLevel = 0;
  private first = true;
  private simpleKeyContext = false;
  private headComment = '';
  private lineComment = '';
  private footComment = '';
  private tailComment = '';
  private keyLineComment = '';
  private readonly events: YEvent[];
  private pos = 0;
  private readonly bestIndent: number;

  constructor(events: YEvent[], bestIndent: number) {
    this.events = events;
    this.bestIndent = bestIndent < 2 || bestIndent > 9 ? 2 : bestIndent;
  }

  run(): string {
    for (this.pos = 0; this.pos < this.events.length; this.pos++) {
      const ev = this.events[this.pos];
      // yaml_emitter_analyze_event: comments stick until a later event brings its own.
      if (ev.head) this.headComment = ev.head;
      if (ev.line) this.lineComment = ev.line;
      if (ev.foot) this.footComment = ev.foot;
      if (ev.tail) this.tailComment = ev.tail;
      this.dispatch(ev);
    }
    return this.out;
  }

  // ---- low-level writers (put, put_break, write_indent, write_indicator) ----
  private put(s: string): void {
    this.out += s;
    this.column += [...s].length;
  }

  private putBreak(): void {
    this.out += '\n';
    this.column = 0;
    this.indention = true;
  }

  private writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    if (this.footIndent === indent) this.putBreak();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
    this.footIndent = -1;
  }

  private writeIndicator(ind: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    this.put(ind);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  private writeComment(comment: string): void {
    let breaks = false;
    let pound = false;
    for (const ch of comment) {
      if (ch === '\n') {
        this.putBreak();
        breaks = true;
        pound = false;
        continue;
      }
      if (breaks) this.writeIndent();
      if (!pound) {
        if (ch !== '#') this.put('# ');
        pound = true;
      }
      this.put(ch);
      this.indention = false;
      breaks = false;
    }
    if (!breaks) this.putBreak();
    this.whitespace = true;
  }

  private processHeadComment(): void {
    if (this.tailComment) {
      this.writeIndent();
      this.writeComment(this.tailComment);
      this.tailComment = '';
      this.footIndent = Math.max(this.indent, 0);
    }
    if (!this.headComment) return;
    this.writeIndent();
    this.writeComment(this.headComment);
    this.headComment = '';
  }

  private processLineComment(): void {
    if (!this.lineComment) return;
    if (!this.whitespace) this.put(' ');
    this.writeComment(this.lineComment);
    this.lineComment = '';
  }

  private processFootComment(): void {
    if (!this.footComment) return;
    this.writeIndent();
    this.writeComment(this.footComment);
    this.footComment = '';
    this.footIndent = Math.max(this.indent, 0);
  }

  private increaseIndent(flow: boolean): void {
    this.indents.push(this.indent);
    if (this.indent < 0) {
      this.indent = flow ? this.bestIndent : 0;
    } else if (this.states[this.states.length - 1] === 'block-seq-item') {
      // The first indent inside a sequence just skips the "- " indicator.
      this.indent += 2;
    } else {
      // Everything else aligns to the chosen indentation.
      this.indent = this.bestIndent * Math.floor((this.indent + this.bestIndent) / this.bestIndent);
    }
  }

  private popIndent(): void {
    this.indent = this.indents.pop() as number;
  }

  private popState(): void {
    this.state = this.states.pop() as State;
  }

  private nextIs(type: EventType, offset = 1): boolean {
    return this.events[this.pos + offset]?.type === type;
  }

  // ---- state machine ----
  private dispatch(ev: YEvent): void {
    switch (this.state) {
      case 'doc-start':
        return this.emitDocumentStart(ev);
      case 'doc-content':
        this.states.push('doc-end');
        this.processHeadComment();
        this.emitNode(ev, false);
        this.processLineComment();
        this.processFootComment();
        return;
      case 'doc-end':
        return this.emitDocumentEnd(ev);
      case 'flow-seq-first':
      case 'flow-seq':
        return this.emitFlowCollection(ev, 'seq-end', ']', '[', this.state === 'flow-seq-first');
      case 'flow-map-first':
      case 'flow-map-key':
        return this.emitFlowCollection(ev, 'map-end', '}', '{', this.state === 'flow-map-first');
      case 'block-seq-first':
      case 'block-seq-item':
        return this.emitBlockSequenceItem(ev, this.state === 'block-seq-first');
      case 'block-map-first-key':
      case 'block-map-key':
        return this.emitBlockMappingKey(ev, this.state === 'block-map-first-key');
      case 'block-map-simple-value':
      case 'block-map-value':
        return this.emitBlockMappingValue(ev, this.state === 'block-map-simple-value');
      case 'end':
        throw new Error('YAML emitter: event after the end of the stream');
    }
  }

  private emitDocumentStart(ev: YEvent): void {
    if (ev.type !== 'doc-start') throw new Error('YAML emitter: expected a document start');
    if (!this.first) {
      this.writeIndent();
      this.writeIndicator('---', true, false, false);
      this.writeIndent();
    }
    this.first = false;
    this.state = 'doc-content';
  }

  private emitDocumentEnd(ev: YEvent): void {
    if (ev.type !== 'doc-end') throw new Error('YAML emitter: expected a document end');
    this.footIndent = 0;
    this.processFootComment();
    this.footIndent = -1;
    this.writeIndent();
    this.state = 'doc-start';
  }

  /** Only empty collections are written in flow style (`{}`, `[]`). */
  private emitFlowCollection(ev: YEvent, end: EventType, close: string, open: string, first: boolean): void {
    if (first) {
      this.writeIndicator(open, true, true, false);
      this.increaseIndent(true);
      this.flowLevel++;
    }
    if (ev.type !== end) throw new Error('YAML emitter: only empty flow collections are supported');
    this.flowLevel--;
    this.popIndent();
    this.writeIndicator(close, false, false, false);
    this.processLineComment();
    this.processFootComment();
    this.popState();
  }

  private emitBlockSequenceItem(ev: YEvent, first: boolean): void {
    if (first) this.increaseIndent(false);
    if (ev.type === 'seq-end') {
      this.popIndent();
      this.popState();
      return;
    }
    this.processHeadComment();
    this.writeIndent();
    this.writeIndicator('-', true, false, true);
    this.states.push('block-seq-item');
    this.emitNode(ev, false);
    this.processLineComment();
    this.processFootComment();
  }

  private emitBlockMappingKey(ev: YEvent, first: boolean): void {
    if (first) this.increaseIndent(false);
    this.processHeadComment();
    if (ev.type === 'map-end') {
      this.popIndent();
      this.popState();
      return;
    }
    this.writeIndent();
    if (this.lineComment) {
      this.keyLineComment = this.lineComment;
      this.lineComment = '';
    }
    if (this.checkSimpleKey(ev)) {
      this.states.push('block-map-simple-value');
      this.emitNode(ev, true);
      return;
    }
    this.writeIndicator('?', true, false, true);
    this.states.push('block-map-value');
    this.emitNode(ev, false);
  }

  private emitBlockMappingValue(ev: YEvent, simple: boolean): void {
    if (simple) {
      this.writeIndicator(':', false, false, false);
    } else {
      this.writeIndent();
      this.writeIndicator(':', true, false, true);
    }
    if (this.keyLineComment) {
      if (ev.type === 'scalar') {
        if (!this.lineComment) {
          this.lineComment = this.keyLineComment;
          this.keyLineComment = '';
        }
      } else if (ev.type === 'map-start' || ev.type === 'seq-start') {
        [this.lineComment, this.keyLineComment] = [this.keyLineComment, this.lineComment];
        this.processLineComment();
        [this.lineComment, this.keyLineComment] = [this.keyLineComment, this.lineComment];
      }
    }
    this.states.push('block-map-key');
    this.emitNode(ev, false);
    this.processLineComment();
    this.processFootComment();
  }

  private checkSimpleKey(ev: YEvent): boolean {
    if (ev.type === 'scalar') {
      const value = ev.value ?? '';
      return !analyze(value).multiline && Buffer.byteLength(value) <= 1024;
    }
    if (ev.type === 'seq-start') return this.nextIs('seq-end');
    if (ev.type === 'map-start') return this.nextIs('map-end');
    return false;
  }

  private emitNode(ev: YEvent, simpleKey: boolean): void {
    this.simpleKeyContext = simpleKey;
    switch (ev.type) {
      case 'scalar':
        return this.emitScalar(ev);
      case 'seq-start':
        this.state = this.flowLevel > 0 || this.nextIs('seq-end') ? 'flow-seq-first' : 'block-seq-first';
        return;
      case 'map-start':
        this.state = this.flowLevel > 0 || this.nextIs('map-end') ? 'flow-map-first' : 'block-map-first-key';
        return;
      default:
        throw new Error(`YAML emitter: unexpected ${ev.type}`);
    }
  }

  private emitScalar(ev: YEvent): void {
    const value = ev.value ?? '';
    const a = analyze(value);
    let style: ScalarStyle = ev.style ?? 'plain';
    if (this.simpleKeyContext && a.multiline) style = 'double';
    if (style === 'plain') {
      // Scalars are only ever written in block context (flow is used for empty collections only).
      if (!a.blockPlainAllowed) style = 'single';
      if (value === '' && this.simpleKeyContext) style = 'single';
    }
    if (style === 'single' && !a.singleQuotedAllowed) style = 'double';
    if (style === 'literal' && (!a.blockAllowed || this.simpleKeyContext)) style = 'double';
    if (ev.tag) {
      this.writeIndicator(ev.tag, true, false, false);
    }
    this.increaseIndent(true);
    switch (style) {
      case 'plain':
        this.writePlain(value);
        break;
      case 'single':
        this.writeSingleQuoted(value);
        break;
      case 'double':
        this.writeDoubleQuoted(value);
        break;
      case 'literal':
        this.writeLiteral(value);
        break;
    }
    this.popIndent();
    this.popState();
  }

  private writePlain(value: string): void {
    if (value !== '' && !this.whitespace) this.put(' ');
    let breaks = false;
    for (const ch of value) {
      const c = ch.codePointAt(0) as number;
      if (isBreak(c)) {
        if (!breaks && ch === '\n') this.putBreak();
        this.writeBreak(ch);
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(ch);
        this.indention = false;
        breaks = false;
      }
    }
    if (value !== '') this.whitespace = false;
    this.indention = false;
  }

  private writeBreak(ch: string): void {
    if (ch === '\n') {
      this.putBreak();
    } else {
      this.out += ch;
      this.column = 0;
      this.indention = true;
    }
  }

  private writeSingleQuoted(value: string): void {
    this.writeIndicator("'", true, false, false);
    let breaks = false;
    for (const ch of value) {
      const c = ch.codePointAt(0) as number;
      if (isBreak(c)) {
        if (!breaks && ch === '\n') this.putBreak();
        this.writeBreak(ch);
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (ch === "'") this.put("'");
        this.put(ch);
        this.indention = false;
        breaks = false;
      }
    }
    this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeDoubleQuoted(value: string): void {
    this.writeIndicator('"', true, false, false);
    for (const ch of value) {
      const c = ch.codePointAt(0) as number;
      if (!isPrintable(c) || c === 0xfeff || isBreak(c) || ch === '"' || ch === '\\') {
        const esc = DOUBLE_ESCAPES[c];
        if (esc !== undefined) this.put(`\\${esc}`);
        else if (c <= 0xff) this.put(`\\x${c.toString(16).toUpperCase().padStart(2, '0')}`);
        else if (c <= 0xffff) this.put(`\\u${c.toString(16).toUpperCase().padStart(4, '0')}`);
        else this.put(`\\U${c.toString(16).toUpperCase().padStart(8, '0')}`);
      } else {
        this.put(ch);
      }
    }
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeLiteral(value: string): void {
    this.writeIndicator('|', true, false, false);
    // Block scalar hints: an explicit indentation when the text starts with a space or a break,
    // then the chomping indicator.
    const first = value.codePointAt(0);
    if (first !== undefined && (first === 0x20 || isBreak(first))) {
      this.writeIndicator(String(this.bestIndent), false, false, false);
    }
    const cps = Array.from(value, (ch) => ch.codePointAt(0) as number);
    let chomp = '';
    if (cps.length === 0 || !isBreak(cps[cps.length - 1])) chomp = '-';
    else if (cps.length === 1 || isBreak(cps[cps.length - 2])) chomp = '+';
    if (chomp) this.writeIndicator(chomp, false, false, false);
    this.processLineComment();
    this.whitespace = true;
    let breaks = true;
    for (const ch of value) {
      if (isBreak(ch.codePointAt(0) as number)) {
        this.writeBreak(ch);
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(ch);
        this.indention = false;
        breaks = false;
      }
    }
  }
}

/** Emit YAML documents (one node each) the way yaml.v3's Encoder with SetIndent(indent) does. */
export function emitYamlDocuments(docs: YNode[], indent: number): string {
  const events: YEvent[] = [];
  for (const doc of docs) {
    events.push({ type: 'doc-start' });
    toEvents(doc, '', events);
    events.push({ type: 'doc-end' });
  }
  return new Emitter(events, indent).run();
}

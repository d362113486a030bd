/**
 * YAML store: which collection a comment belongs to (its AAD), what sops writes back for it, and
 * yaml.v3's handling of anchors, merge keys, empty documents and block scalars.
 */
import { describe, expect, it } from 'vitest';
import { Branch, Comment, forEachLeaf, aadOf } from '../tree.ts';
import { toJs } from '../view.ts';
import { emitYaml, loadYaml } from './yaml.ts';

/** Every comment with the AAD it would be encrypted under and whether it is a line comment. */
function comments(text: string): [string, string, boolean][] {
  const out: [string, string, boolean][] = [];
  forEachLeaf(loadYaml(text, 't.yaml'), ({ value, keys }) => {
    if (value instanceof Comment) out.push([value.text.trim(), aadOf(keys), value.inline]);
  });
  return out;
}

describe('comment attachment (AAD = path of the enclosing collection)', () => {
  it('top-level, head, line and trailing comments', () => {
    const text = [
      '# file header',
      '',
      '# before a',
      'a: 1 # about a',
      'b:',
      '    # first in b',
      '    c: x',
      '    # trailing in b',
      '# before d',
      'd: y',
      '# end of file',
      '',
    ].join('\n');
    expect(comments(text)).toEqual([
      ['file header', ':', false],
      ['before a', ':', false],
      ['about a', ':', true],
      ['first in b', 'b:', false],
      ['trailing in b', 'b:', false],
      ['before d', ':', false],
      ['end of file', ':', false],
    ]);
  });

  it('a comment after `key:` of a nested map belongs to the parent', () => {
    expect(comments('b: # about b\n    c: 1\n')).toEqual([['about b', ':', false]]);
  });

  it('list comments stay in the list', () => {
    const text = ['list:', '    # head', '    - one # inline', '    # between', '    - two', '    # after', 'next: 1', ''].join('\n');
    expect(comments(text)).toEqual([
      ['head', 'list:', false],
      ['inline', 'list:', true],
      ['between', 'list:', false],
      ['after', 'list:', false],
    ]);
  });

  it('deeply nested trailing comments, then a dedent', () => {
    const text = ['this:', '    is:', '        nested:', '            value: v', '            # deep', '    # middle', 'top: t', ''].join('\n');
    expect(comments(text)).toEqual([
      ['deep', 'this:is:nested:', false],
      ['middle', 'this:', false],
    ]);
  });

  it('maps inside lists', () => {
    const text = ['items:', '    - name: a # name a', '      # in item', '      value: 1', '    - name: b', ''].join('\n');
    expect(comments(text)).toEqual([
      ['name a', 'items:', true],
      ['in item', 'items:', false],
    ]);
  });

  it('a comment on a block scalar header is a line comment of the value', () => {
    expect(comments('key: | # about key\n    text\n')).toEqual([['about key', ':', true]]);
  });
});

describe('what sops writes back (yaml.v3 encoder, indent 4)', () => {
  const rewrite = (text: string, indent = 4) => emitYaml(loadYaml(text, 't.yaml'), indent);

  it('normalizes indentation and drops blank lines, keeps comments in place', () => {
    expect(rewrite('# header\n\na:  1   # one\nb:\n  c: [1, 2]\n  # end of b\n\nd: {}\ne: []\n')).toBe(
      '# header\na: 1 # one\nb:\n    c:\n        - 1\n        - 2\n    # end of b\nd: {}\ne: []\n',
    );
  });

  it('moves a comment after `key:` above the key (sops tree order)', () => {
    expect(rewrite('b: # about b\n    c: 1\n')).toBe('# about b\nb:\n    c: 1\n');
  });

  it('quotes strings the way yaml.v3 does', () => {
    const text = 'a: "1"\nb: "true"\nc: "null"\nd: ""\ne: " lead"\nf: "x: y"\ng: "# not a comment"\nh: "multi\\nline"\ni: "it\'s"\n';
    expect(rewrite(text)).toBe(
      'a: "1"\nb: "true"\nc: "null"\nd: ""\ne: \' lead\'\nf: \'x: y\'\ng: \'# not a comment\'\nh: |-\n    multi\n    line\ni: it\'s\n',
    );
  });

  it('literal blocks with leading spaces get an indentation indicator; keep/strip chomping', () => {
    expect(rewrite('a: "  indented\\n"\nb: "x\\n\\n"\nc: "x"\n')).toBe('a: |4\n      indented\nb: |+\n    x\n\nc: x\n');
  });

  it('multi-document streams and empty documents', () => {
    expect(rewrite('a: 1\n---\n---\nb: 2\n')).toBe('a: 1\n---\n{}\n---\nb: 2\n');
  });

  it('indent 2 (sops --indent / .sops.yaml stores.yaml.indent)', () => {
    expect(rewrite('a:\n    b:\n        - c: 1\n          d: 2\n', 2)).toBe('a:\n  b:\n    - c: 1\n      d: 2\n');
  });
});

describe('anchors, aliases and merge keys', () => {
  it('aliases are expanded and `<<` stays a literal key holding the aliased map', () => {
    const [doc] = loadYaml('base: &b\n    x: 1\nuse:\n    <<: *b\n    y: 2\nref: *b\n', 't.yaml');
    expect(toJs(doc)).toEqual({ base: { x: 1 }, use: { '<<': { x: 1 }, y: 2 }, ref: { x: 1 } });
    // yaml.v3 also quotes YAML 1.1 booleans such as `y`.
    expect(emitYaml([doc])).toBe('base:\n    x: 1\nuse:\n    "<<":\n        x: 1\n    "y": 2\nref:\n    x: 1\n');
  });

  it('an empty or comment-only stream has no document; an explicit empty document is an empty map', () => {
    expect(loadYaml('', 't.yaml')).toEqual([]);
    expect(loadYaml('# only a comment\n', 't.yaml')).toEqual([]);
    const [doc] = loadYaml('--- # empty\n', 't.yaml');
    expect(doc).toBeInstanceOf(Branch);
    expect(doc.items).toEqual([new Comment(' empty')]);
  });
});

/** Input/output pairs sops' own YAML store tests pin down (stores/yaml/store_test.go). */
describe('behaviours pinned by sops’ store tests', () => {
  const roundTrip = (text: string, indent = 4) => emitYaml(loadYaml(text, 't.yaml'), indent);
  const exporter = [
    '## Configuration for prometheus-node-exporter subchart',
    '##',
    'prometheus-node-exporter:',
    '  podLabels:',
    "    ## Add the 'node-exporter' label to be used by serviceMonitor",
    '    ##',
    '',
    '    jobLabel: node-exporter',
    '  extraArgs:',
    '    - --collector.filesystem.ignored-mount-points=^/(dev|proc|sys)($|/)',
    '    - --collector.filesystem.ignored-fs-types=^(autofs|binfmt_misc)$',
    '',
  ].join('\n');

  it('a trailing comment in a nested map, and a head comment, survive unchanged', () => {
    for (const text of ['# test\na:\n    b: null\n    # foo\n', 'a:\n    # foo\n    b: null\n']) expect(roundTrip(text)).toBe(text);
  });

  it('re-indents to 4 and drops the blank line after a comment block', () => {
    expect(roundTrip(exporter)).toBe(
      exporter
        .replace('\n\n', '\n')
        .replace(/^ {2}(\S)/gm, '    $1')
        .replace(/^ {4}(##|jobLabel|- )/gm, '        $1'),
    );
  });

  it('indent 2 keeps sequences indented under their key', () => {
    expect(roundTrip(exporter, 2)).toBe(exporter.replace('\n\n', '\n'));
  });

  it('a comment between list items is kept once, before the next item', () => {
    const text = 'a:\n    - a\n    # I no longer get duplicated\n    - {}\n';
    const [doc] = loadYaml(text, 't.yaml');
    expect((doc.get('a') as unknown[])[1]).toEqual(new Comment(' I no longer get duplicated'));
    expect(roundTrip(text)).toBe(text);
  });

  it('a comment after a nested map, followed by a blank line and a dedent, stays in the outer map', () => {
    const text = 'a:\n    b:\n        c: d\n    # comment\n\ne:\n    - f\n';
    const [doc] = loadYaml(text, 't.yaml');
    expect((doc.get('a') as Branch).items.at(-1)).toEqual(new Comment(' comment'));
    expect(roundTrip(text)).toBe('a:\n    b:\n        c: d\n    # comment\ne:\n    - f\n');
  });

  it('multi-document input, comments in the first document', () => {
    const docs = loadYaml('---\n# comment 0\nkey1: value\nkey1_a: value\n# ^ comment 1\n---\nkey2: value2', 't.yaml');
    expect(docs.map((d) => d.items)).toEqual([
      [new Comment(' comment 0'), { key: 'key1', value: 'value' }, { key: 'key1_a', value: 'value' }, new Comment(' ^ comment 1')],
      [{ key: 'key2', value: 'value2' }],
    ]);
    expect(emitYaml([docs[0]])).toBe('# comment 0\nkey1: value\nkey1_a: value\n# ^ comment 1\n');
  });

  it('empty input has no branch; `{}` is one empty branch written as `{}`', () => {
    expect(emitYaml(loadYaml('', 't.yaml'))).toBe('');
    expect(roundTrip('{}\n')).toBe('{}\n');
  });
});

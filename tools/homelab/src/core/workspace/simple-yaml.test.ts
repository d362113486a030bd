import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseSimpleDocuments } from './simple-yaml.ts';

const REPO = resolve(import.meta.dirname, '../../../../..');

/** What the full parser gives (YAML 1.1, empty documents dropped, as yaml-docs.ts parses), or 'error'. */
function full(text: string): unknown {
  const docs = parseAllDocuments(text, { version: '1.1' });
  if (docs.some((d) => d.errors.length > 0)) return 'error';
  return docs.map((d) => d.toJS()).filter((v) => v !== null && v !== undefined);
}

/** The property that matters: whenever the simple reader answers, it is what the full parser gives, key order included. */
function expectExact(text: string): unknown[] | undefined {
  const simple = parseSimpleDocuments(text);
  if (simple !== undefined) {
    const expected = full(text);
    expect({ text, value: simple }).toEqual({ text, value: expected });
    expect({ text, json: JSON.stringify(simple) }).toEqual({ text, json: JSON.stringify(expected) });
  }
  return simple;
}

const CHART = `apiVersion: v2
name: web # the chart
description: A Helm chart for Kubernetes, with 'quotes' and C# in it
type: application
version: 0.1.0
appVersion: "1.16.0"
kubeVersion: '>=1.29.0-0'
home: https://example.invalid/web
keywords:
  - web
  - http
maintainers:
  - name: Someone
    email: someone@example.invalid
dependencies:
  - name: common
    version: ~0.1.0
    repository: file://../common
    tags:
    - shared
  -   name: redis
      version: 19.6.4
      repository: oci://registry.example.invalid/charts
annotations:
  example.invalid/category: Web
`;

describe('parseSimpleDocuments', () => {
  it('reads a typical Chart.yaml exactly as the full parser does', () => {
    const [value] = expectExact(CHART) ?? [];
    expect(value).toMatchObject({ name: 'web', version: '0.1.0', dependencies: [{ name: 'common' }, { name: 'redis', version: '19.6.4' }] });
  });

  it('answers for every Chart.yaml of the repository it can read, exactly', () => {
    const files = execFileSync('git', ['ls-files', '*Chart.yaml'], { cwd: REPO, encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(files.length).toBeGreaterThan(20);
    const answered = files.filter((file) => expectExact(readFileSync(join(REPO, file), 'utf8')) !== undefined);
    expect(answered.length).toBeGreaterThan(files.length / 2);
  });

  it("answers for the example's manifests and value files it can read, exactly", () => {
    const files = execFileSync('git', ['ls-files', 'clusters/*.yaml', 'charts/*values*.yaml'], { cwd: REPO, encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(files.length).toBeGreaterThan(20);
    const answered = files.filter((file) => expectExact(readFileSync(join(REPO, file), 'utf8')) !== undefined);
    expect(answered.length).toBeGreaterThan(5);
  });

  it('reads literal and folded block scalars, comment-like lines in them included', () => {
    const text = 'a: |\n  one\n  # two\nb: >-\n    x y\n    z\n\n# after\nc:\n  d: >\n    e\n';
    expect(expectExact(text)).toEqual([{ a: 'one\n# two\n', b: 'x y z', c: { d: 'e\n' } }]);
  });

  it('reads YAML 1.1 booleans, integers and nulls, and documents between --- lines', () => {
    const text = 'a: yes\nb: Off\nc: 12\nd: ~\ne:\nf: "true"\n---\n---\n- 0\n-\n- NULL # none\n';
    expect(expectExact(text)).toEqual([{ a: true, b: false, c: 12, d: null, e: null, f: 'true' }, [0, null, null]]);
  });

  it.each([
    ['a number', 'version: 1.0\n'],
    ['a boolean spelled as YAML 1.1 does not', 'deprecated: yEs\n'],
    ['a negative number', 'replicas: -1\n'],
    ['an octal integer', 'mode: 0644\n'],
    ['an exponent-only float', 'version: e5\n'],
    ['a boolean key', 'on: x\n'],
    ['a block under a bare item', 'tags:\n  -\n    a: b\n'],
    ['a block scalar keeping trailing lines', 'description: |+\n  text\n'],
    ['a block scalar with an indentation indicator', 'description: |2\n  text\n'],
    ['a block scalar with a blank line', 'description: >\n  a\n\n  b\nx: y\n'],
    ['a block scalar with a more-indented line', 'description: >\n  a\n    b\nx: y\n'],
    ['a block scalar without a final line break', 'description: |\n  text'],
    ['a block scalar in a sequence', 'a:\n  - |\n    text\n'],
    ['a folded indicator', 'kubeVersion: >=1.29\n'],
    ['a flow sequence', 'dependencies: [a]\n'],
    ['an anchor', 'name: &n x\n'],
    ['a tag', 'name: !!str 1\n'],
    ['a multi-line plain scalar', 'description: one\n  two\n'],
    ['a duplicate key', 'name: a\nname: b\n'],
    ['a tab', 'name:\tx\n'],
    ['CRLF line ends', 'name: x\r\n'],
    ['a YAML 1.1 line break (NEL)', 'name: x\u0085y\n'],
    ['a document marker with content', '--- name: x\n'],
    ['a document end marker', 'name: x\n...\n'],
    ['an escape in double quotes', 'name: "a\\tb"\n'],
    ['a quoted key', '"name": x\n'],
    ['a bad indentation', 'a:\n    b: c\n  d: e\n'],
    ['a top-level sequence item after a key', 'a: b\n- c\n'],
    ['a mapping in a plain scalar', 'a: b: c\n'],
  ])('leaves %s to the full parser', (_what, text) => {
    expect(parseSimpleDocuments(text)).toBeUndefined();
  });

  it('agrees with the full parser on generated documents', () => {
    // Pieces chosen to sit on the subset's edges: scalars YAML 1.1 reads as other types, indicators, comments,
    // indentation a line away from valid. Seeded: the same documents every run.
    const keys = ['name', 'version', 'a.b/c', 'x-y', 'nulls', 'tags', 'repository', 'k1'];
    const trickyKeys = ['on', 'y', 'e5', 'Yes', 'NULL'];
    const plain = [
      'x',
      'true',
      'No',
      'null',
      '0',
      '12',
      '',
      'x y',
      '\u00a0x',
      'x\u00a0',
      'é',
      '0.1.0',
      '~0.1.0',
      '^1.2',
      '<2.0',
      '=1',
      '/p',
      '$x',
      'file://../common',
      'a (b)',
      "it's",
      'oci://r/c',
      '100m',
      '192.0.2.50',
      '1.2.3.4-x',
      '../../v.yaml',
      './x',
      '.5m',
      '1Gi',
      '[]',
      '{}',
    ];
    const tricky = [
      '1.0',
      '1',
      '1.2.3-rc.1+b5',
      '2024-01-01',
      '1:20',
      'true',
      'True',
      'off',
      'n',
      'null',
      '~',
      'e5',
      'E-3',
      '.inf',
      '"q"',
      "'it''s'",
      '"a\\"b"',
      "'x",
      'a #c',
      'a#b',
      'C#',
      'a: b',
      'a:',
      'a:b',
      'http://h/p',
      '>=1.0',
      '~0.1',
      '*x',
      '&a x',
      '!t x',
      '[a]',
      '{a: b}',
      'a [b]',
      'a, b',
      '- a',
      '-a',
      '0x1F',
      '0b10',
      '012',
      '1_000',
      '+1',
      '.5',
      'x ',
      '"x" #c',
      '@x',
      '`x`',
      '<<',
      '~',
      '',
      '# c',
      '%x',
      '? x',
      'x:',
      '-1',
      '.nan',
      '+.inf',
      '1.2.3:4',
      '2d',
      '1.2',
      '1..2',
      '1.2.',
      '+x',
      '.Inf',
      '.NaN',
      '.nAn',
      '+.INF',
      '1e5x',
      '0x1Fg',
      '2001-12-14t21:59:43.10-05:00',
      '2001-12-14 21:59:43.10 Z',
      '[a]',
      '[ ]',
      '{ }',
    ];
    let seed = 42;
    const random = (n: number) => {
      // xorshift32
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const pick = <T>(list: T[]) => list[random(list.length)];
    const scalar = () => pick(random(4) === 0 ? tricky : plain);
    const key = () => pick(random(8) === 0 ? trickyKeys : keys);
    const node = (indent: number, depth: number): string[] => {
      const pad = ' '.repeat(indent);
      const lines: string[] = [];
      const asSequence = depth > 0 && random(3) === 0;
      for (let i = 0, n = 1 + random(3); i < n; i++) {
        const lead = asSequence ? `${pad}-${' '.repeat(1 + random(2))}` : pad;
        const inner = indent + (asSequence ? lead.length - pad.length : 0);
        const shape = random(depth < 2 ? 5 : 3);
        if (asSequence && shape === 0) lines.push(`${lead}${scalar()}`);
        else if (shape <= 2) lines.push(`${lead}${key()}: ${scalar()}${random(6) === 0 ? ' # note' : ''}`);
        else {
          lines.push(`${lead}${key()}:`);
          const child = node(inner + (random(4) === 0 ? 0 : 2 + random(2)), depth + 1);
          lines.push(...child);
        }
        if (asSequence && random(3) === 0) lines.push(`${' '.repeat(inner)}${key()}: ${scalar()}`);
        if (random(8) === 0) lines.push(`${' '.repeat(random(5))}# comment`);
        if (random(12) === 0) lines.push(`${' '.repeat(indent + random(3))}${scalar()}`);
        if (random(6) === 0) {
          lines.push(`${pad}${key()}: ${pick(['|', '|-', '>', '>-', '|+', '>2', '|-2'])}${random(5) === 0 ? ' # c' : ''}`);
          for (let j = 0, m = random(4); j < m; j++) lines.push(pick(['', ' '.repeat(indent + 2) + scalar(), `${' '.repeat(indent + 2 + random(3))}# c`]));
        }
      }
      return lines;
    };
    let answered = 0;
    for (let i = 0; i < 3000; i++) {
      const documents = random(5) === 0 ? [node(0, 0), [], node(0, 0)] : [node(0, 0)];
      if (expectExact(`${documents.map((lines) => lines.join('\n')).join('\n---\n')}\n`) !== undefined) answered++;
    }
    // The generator reaches both sides: documents the reader answers, and ones it leaves to the full parser.
    expect(answered).toBeGreaterThan(300);
    expect(answered).toBeLessThan(2700);
  });
});

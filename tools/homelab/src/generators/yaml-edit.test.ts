import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { appendEntry, hasEntry } from './yaml-edit.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');

/** The new text minus the inserted lines must be the old text: nothing else moved. */
function inserted(before: string, after: string): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  const start = a.findIndex((line, i) => line !== b[i]);
  const added = b.slice(start, start + (b.length - a.length));
  expect([...b.slice(0, start), ...b.slice(start + added.length)]).toEqual(a);
  return added;
}

describe('appendEntry', () => {
  it('adds a namespace to charts/system/values.yaml after the last one, every other byte kept', () => {
    const before = read('charts/system/values.yaml');
    const after = appendEntry(before, 'values.yaml', ['namespaces'], { key: 'paperless', value: { podSecurity: 'restricted' } });
    expect(inserted(before, after)).toEqual(['  paperless:', '    podSecurity: restricted']);
    expect(after.indexOf('  paperless:')).toBeGreaterThan(after.indexOf('  jellyfin:'));
    expect(after.indexOf('  paperless:')).toBeLessThan(after.indexOf('# Higher value'));
    expect(parse(after).namespaces.paperless).toEqual({ podSecurity: 'restricted' });
  });

  it('adds an exclude entry to the ApplicationSet git generator (a list nested in lists), keeping its comments and flow style', () => {
    const before = read('clusters/home/apps/apps.yaml');
    const after = appendEntry(before, 'apps.yaml', ['spec', 'generators', 0, 'git', 'directories'], { value: { path: 'charts/paperless', exclude: true } });
    expect(inserted(before, after)).toEqual(['          - path: charts/paperless', '            exclude: true']);
    expect(after).toContain('goTemplateOptions: ["missingkey=error"]');
    expect(parse(after).spec.generators[0].git.directories.at(-1)).toEqual({ path: 'charts/paperless', exclude: true });
  });

  it('handles a last item without a final newline and a trailing comment line', () => {
    expect(appendEntry('a:\n  b: 1 # one', 'x.yaml', ['a'], { key: 'c', value: 2 })).toBe('a:\n  b: 1 # one\n  c: 2\n');
    expect(appendEntry('l:\n- x\n# end\nm: 1\n', 'x.yaml', ['l'], { value: 'z' })).toBe('l:\n- x\n- z\n# end\nm: 1\n');
  });

  it('quotes what YAML 1.1 (helm, kubectl) would read as another type', () => {
    expect(appendEntry('l:\n- x\n', 'x.yaml', ['l'], { value: 'y' })).toBe('l:\n- x\n- "y"\n');
    expect(appendEntry('a:\n  b: 1\n', 'x.yaml', ['a'], { key: 'on', value: '1.30' })).toBe('a:\n  b: 1\n  "on": "1.30"\n');
  });

  it('refuses flow collections, wrong kinds and missing paths with one line', () => {
    expect(() => appendEntry('a: {}\n', 'x.yaml', ['a'], { key: 'b', value: 1 })).toThrow('x.yaml: a is written in flow style');
    expect(() => appendEntry('a: [1]\n', 'x.yaml', ['a'], { key: 'b', value: 1 })).toThrow('x.yaml: a is not a mapping');
    expect(() => appendEntry('a: 1\n', 'x.yaml', ['b'], { value: 1 })).toThrow('x.yaml: b is not a list');
  });
});

describe('hasEntry', () => {
  it('finds mapping keys and equal list items', () => {
    const text = read('clusters/home/apps/apps.yaml');
    expect(hasEntry(text, ['spec', 'generators', 0, 'git', 'directories'], { value: { path: 'charts/system', exclude: true } })).toBe(true);
    expect(hasEntry(text, ['spec', 'generators', 0, 'git', 'directories'], { value: { path: 'charts/x', exclude: true } })).toBe(false);
    expect(hasEntry(read('charts/system/values.yaml'), ['namespaces'], { key: 'arr' })).toBe(true);
  });
});

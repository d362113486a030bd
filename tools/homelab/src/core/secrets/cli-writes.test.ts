// How values and paths are handed to the sops binary: sops' index form and the JSON `sops set` reads.
import { describe, expect, it } from 'vitest';
import { cliSet, sopsIndex, sopsJson } from './cli-writes.ts';
import { Float, Int } from './tree.ts';

describe('sops arguments', () => {
  it('writes paths in sops index form, quoting every key (dots and quotes inside keys included)', () => {
    expect(sopsIndex(['monitoring', 'alertmanager', 'emailTo', 1])).toBe('["monitoring"]["alertmanager"]["emailTo"][1]');
    expect(sopsIndex(['a.b', 'say "hi"'])).toBe('["a.b"]["say "hi""]');
    // sops splits its index at "[": such a key cannot be addressed.
    expect(sopsIndex(['a[0]'])).toBeUndefined();
  });

  it('gives set the JSON it decodes: strings quoted, ints exact, floats, booleans, objects', () => {
    expect(sopsJson('line one\n"two"')).toBe('"line one\\n\\"two\\""');
    expect(sopsJson(new Int(2n ** 60n))).toBe('1152921504606846976');
    expect(sopsJson(new Float(2.5))).toBe('2.5');
    expect(sopsJson(true)).toBe('true');
    expect(sopsJson({ a: [1, 'x'] })).toBe('{"a":[1,"x"]}');
  });

  it('refuses a key sops cannot address before running anything, never naming the value', async () => {
    const w = {
      file: 'secrets.yaml',
      format: 'yaml' as const,
      env: { PATH: '/nonexistent' },
      keys: { identities: [], sources: [], searched: [], usedDemoKey: false },
    };
    await expect(cliSet(w, ['odd[key]'], 'the-value')).rejects.toThrow(/^secrets\.yaml: sops cannot address a key holding "\["$/);
  });
});

// .sops.yaml creation rules, matched the way sops matches them, on real files in a temp dir.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { creationRuleFor, findSopsConfig } from './sops-config.ts';

const A = 'age1n7suadl0z93027qn82r8lkzzanpfhscj30g098kayfphn83dycesy4svze';
const B = 'age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr';
const C = 'age1rh2xsjg8avja92j3jhtttuczgmqkz89lezxt4e3mmp5ukl5j4f9smvteju';

let dir: string;
let config: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sops-config-'));
  config = path.join(dir, '.sops.yaml');
  writeFileSync(
    config,
    [
      'stores:',
      '  yaml:',
      '    indent: 2',
      'creation_rules:',
      '  - path_regex: ^clusters/[^/]+/secrets\\.ya?ml$',
      '    encrypted_regex: ^(data|stringData)$',
      `    age: ${A}, ${B}`,
      '  - path_regex: (^|/)secrets\\.ya?ml$',
      `    age: [${A}]`,
      '    mac_only_encrypted: true',
      '  - path_regex: \\.shared\\.json$',
      '    shamir_threshold: 2',
      '    key_groups:',
      `      - age: [${A}]`,
      `      - age: [${B}, ${C}]`,
      '  - path_regex: \\.pgp\\.yaml$',
      '    pgp: 85D77543B3D624B63CEA9E6DBC17301B491B3F21',
      '  - path_regex: ^only-here/',
      `    age: ${C}`,
    ].join('\n'),
  );
  mkdirSync(path.join(dir, 'clusters', 'home'), { recursive: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('creation rules', () => {
  it('takes the first rule whose path_regex matches the path relative to the config directory', () => {
    const cluster = creationRuleFor(path.join(dir, 'clusters/home/secrets.yaml'), config);
    expect(cluster).toMatchObject({
      keyGroups: [[A, B]],
      rule: { kind: 'encrypted_regex', value: '^(data|stringData)$' },
      macOnlyEncrypted: false,
      yamlIndent: 2,
    });
    const root = creationRuleFor(path.join(dir, 'secrets.yaml'), config);
    expect(root).toMatchObject({ keyGroups: [[A]], rule: undefined, macOnlyEncrypted: true });
  });

  it('reads key groups and the Shamir threshold', () => {
    expect(creationRuleFor(path.join(dir, 'x.shared.json'), config)).toMatchObject({ keyGroups: [[A], [B, C]], shamirThreshold: 2 });
  });

  it('refuses rules without age recipients and paths no rule matches, naming the config', () => {
    expect(() => creationRuleFor(path.join(dir, 'a.pgp.yaml'), config)).toThrow(/has only pgp keys/);
    expect(() => creationRuleFor(path.join(dir, 'notes.txt'), config)).toThrow(`${config}: no creation rule matches notes.txt`);
    // A file outside the config's directory is matched by its absolute path, so ^only-here/ does not match it.
    expect(() => creationRuleFor('/only-here/x.yaml', config)).toThrow(/no creation rule matches \/only-here\/x\.yaml/);
  });

  it('finds the nearest .sops.yaml upwards', () => {
    expect(findSopsConfig(path.join(dir, 'clusters', 'home'))).toBe(config);
    const inner = path.join(dir, 'clusters', '.sops.yaml');
    writeFileSync(inner, `creation_rules:\n  - age: ${C}\n`);
    expect(findSopsConfig(path.join(dir, 'clusters', 'home'))).toBe(inner);
    expect(creationRuleFor(path.join(dir, 'clusters/home/anything.env'), inner).keyGroups).toEqual([[C]]);
    rmSync(inner);
  });

  it('refuses a config without creation rules or with two encryption rules in one', () => {
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'destination_rules: []\n');
    expect(() => creationRuleFor(path.join(dir, 'a.yaml'), bad)).toThrow(/has no creation_rules/);
    writeFileSync(bad, `creation_rules:\n  - age: ${A}\n    encrypted_regex: a\n    unencrypted_suffix: _u\n`);
    expect(() => creationRuleFor(path.join(dir, 'a.yaml'), bad)).toThrow(/more than one encryption rule/);
  });
});

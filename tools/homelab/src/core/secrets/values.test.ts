/**
 * Go/yaml.v3 value semantics with expectations taken from Go (strconv docs and behaviour), the
 * yaml.v3 resolver table, and Vault's Shamir test vectors.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatFloatF, formatFloatG, jsonFloat, normalizeRfc3339, parseGoInt, parseYamlTimestamp } from './go-values.ts';
import { combine, split } from 'shamir-secret-sharing';
import { goRegExp } from './rules.ts';
import { plainKeepsString, resolvePlain } from './yaml-scalars.ts';

describe('strconv.FormatFloat', () => {
  it.each([
    [1, '1', '1'],
    [0.1, '0.1', '0.1'],
    [-0, '-0', '-0'],
    [1e21, '1000000000000000000000', '1e+21'],
    [1e20, '100000000000000000000', '1e+20'],
    [123456, '123456', '123456'],
    [1234567, '1234567', '1.234567e+06'],
    [5e-7, '0.0000005', '5e-07'],
    [1e-4, '0.0001', '0.0001'],
    [1e-5, '0.00001', '1e-05'],
    [1.7976931348623157e308, `17976931348623157${'0'.repeat(292)}`, '1.7976931348623157e+308'],
    [5e-324, `0.${'0'.repeat(323)}5`, '5e-324'],
    [Infinity, '+Inf', '+Inf'],
    [-Infinity, '-Inf', '-Inf'],
    [NaN, 'NaN', 'NaN'],
  ])('%d: f=%s g=%s', (x, f, g) => {
    expect(formatFloatF(x)).toBe(f);
    expect(formatFloatG(x)).toBe(g);
  });

  it('encoding/json keeps -0 and uses ES formatting otherwise', () => {
    expect(jsonFloat(-0)).toBe('-0');
    expect(jsonFloat(1e21)).toBe('1e+21');
    expect(jsonFloat(1e-7)).toBe('1e-7');
  });
});

describe('strconv.ParseInt(s, 0, 64)', () => {
  it.each([
    ['0', 0n],
    ['-0', 0n],
    ['0777', 511n],
    ['0x_1'.replace('_', ''), 1n],
    ['-0x10', -16n],
    ['0B11', 3n],
    ['9223372036854775807', 9223372036854775807n],
    ['-9223372036854775808', -9223372036854775808n],
  ])('%s', (s, v) => {
    expect(parseGoInt(s)).toEqual({ value: v, unsigned: false });
  });

  it('uint64 range and invalid input', () => {
    expect(parseGoInt('18446744073709551615')).toEqual({ value: 18446744073709551615n, unsigned: true });
    expect(parseGoInt('18446744073709551616')).toBeUndefined();
    expect(parseGoInt('08')).toBeUndefined();
    expect(parseGoInt('0x')).toBeUndefined();
    expect(parseGoInt('1e3')).toBeUndefined();
  });
});

describe('yaml.v3 resolve', () => {
  it.each([
    ['', 'null'],
    ['~', 'null'],
    ['Null', 'null'],
    ['NULL', 'null'],
    ['nULL', 'str'],
    ['True', 'bool'],
    ['tRUE', 'str'],
    ['yes', 'str'],
    ['off', 'str'],
    ['.Inf', 'float'],
    ['-.inf', 'float'],
    ['.NaN', 'float'],
    ['.nan.', 'str'],
    ['+12_345', 'int'],
    ['0o777', 'int'],
    ['0777', 'int'],
    ['0789', 'float'],
    ['1.', 'float'],
    ['-1e-3', 'float'],
    ['1e', 'str'],
    ['12:30', 'str'],
    ['2002-12-14', 'timestamp'],
    ['2002-12-14t21:59:43.10-05:00', 'timestamp'],
    ['2002-12-14 21:59:43.10 -5', 'str'],
    ['20021214', 'int'],
    ['<<', 'merge'],
    ['<html>', 'str'],
    ['-', 'str'],
    ['hello world', 'str'],
  ])('%j → %s', (s, kind) => {
    expect(resolvePlain(s).kind).toBe(kind);
  });

  it('timestamps become RFC 3339 nano text', () => {
    expect(parseYamlTimestamp('2002-12-14')).toBe('2002-12-14T00:00:00Z');
    expect(parseYamlTimestamp('2002-12-14t21:59:43.10-05:00')).toBe('2002-12-14T21:59:43.1-05:00');
    expect(parseYamlTimestamp('2002-12-14T21:59:43.123456789123Z')).toBe('2002-12-14T21:59:43.123456789Z');
    expect(parseYamlTimestamp('2002-12-14T21:59:43+00:00')).toBe('2002-12-14T21:59:43Z');
    expect(parseYamlTimestamp('2023-02-29')).toBeUndefined();
    expect(parseYamlTimestamp('2024-02-29')).toBe('2024-02-29T00:00:00Z');
  });

  it('strings that would change type are quoted on output (stringv)', () => {
    for (const s of ['true', '1', '1.5', 'null', '', 'yes', 'No', 'on', '12:30', '2024-01-01', '<<']) expect(plainKeepsString(s)).toBe(false);
    for (const s of ['hello', 'tRUE', 'a b', '-x']) expect(plainKeepsString(s)).toBe(true);
  });

  it('lastmodified is normalized the way Go re-formats RFC 3339', () => {
    expect(normalizeRfc3339('2024-03-25T22:08:10Z')).toBe('2024-03-25T22:08:10Z');
    expect(normalizeRfc3339('2024-03-25T22:08:10.123Z')).toBe('2024-03-25T22:08:10Z');
    expect(normalizeRfc3339('2024-03-25T22:08:10+00:00')).toBe('2024-03-25T22:08:10Z');
    expect(normalizeRfc3339('2024-03-25T22:08:10+02:00')).toBe('2024-03-25T22:08:10+02:00');
    expect(normalizeRfc3339('2024-03-25 22:08:10Z')).toBeUndefined();
  });
});

describe('Shamir (GF(2^8), AES polynomial)', () => {
  it('reads a Vault/sops share: y bytes then the x coordinate', async () => {
    // two shares of [42] with polynomial 42 + 7x: x=1 -> 42^7, x=2 -> 42^gfMul(7,2)=42^14
    expect(Buffer.from(await combine([Uint8Array.of(42 ^ 7, 1), Uint8Array.of(42 ^ 14, 2)]))).toEqual(Buffer.of(42));
  });

  it('any threshold-sized subset recombines; fewer parts do not', async () => {
    const secret = randomBytes(32);
    const parts = await split(new Uint8Array(secret), 5, 3);
    expect(parts.every((p) => p.length === 33)).toBe(true);
    expect(Buffer.from(await combine([parts[0], parts[2], parts[4]])).equals(secret)).toBe(true);
    expect(Buffer.from(await combine([parts[3], parts[1], parts[0], parts[4]])).equals(secret)).toBe(true);
    expect(Buffer.from(await combine([parts[0], parts[1]])).equals(secret)).toBe(false);
  });
});

describe('RE2 patterns', () => {
  it('reads inline flags, named groups and \\A / \\z as Go does', () => {
    expect(goRegExp('(?i)^PASS', 'f').test('password')).toBe(true);
    expect(goRegExp('(?P<name>a+)b', 'f').test('aab')).toBe(true);
    expect(goRegExp('\\Akey\\z', 'f').test('key')).toBe(true);
    expect(goRegExp('\\Akey\\z', 'f').test('Akeyz')).toBe(false);
    expect(goRegExp('^(?:data|stringData)$', 'f').test('data')).toBe(true);
    expect(goRegExp('a(?i)b', 'f').test('aB')).toBe(true);
  });

  it('matches POSIX classes and Unicode letters like Go', () => {
    expect(goRegExp('^[[:digit:]]+$', 'f').test('123')).toBe(true);
    expect(goRegExp('^[[:digit:]]+$', 'f').test(':')).toBe(false);
    expect(goRegExp('^\\pL+$', 'f').test('pässwort')).toBe(true);
    expect(goRegExp('^\\pL+$', 'f').test('pLL')).toBe(true);
    expect(goRegExp('^\\pL+$', 'f').test('a1')).toBe(false);
  });

  it('refuses what RE2 rejects, naming the pattern', () => {
    expect(() => goRegExp('a(?=b)', 'f')).toThrow(/"a\(\?=b\)" is not valid RE2/);
  });
});

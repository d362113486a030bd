/**
 * Shamir's secret sharing over GF(2^8) with the AES polynomial (sops `shamir/shamir.go`, from Vault).
 * A share is the polynomial values for each secret byte followed by its x coordinate (1 byte).
 */
import { randomBytes, randomInt } from 'node:crypto';

const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    // multiply by the generator 3 = x ^ (x * 2), reduced by 0x11B
    x ^= (x << 1) ^ (x & 0x80 ? 0x11b : 0);
    x &= 0xff;
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255];
}

export function gfMul(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a] + LOG[b]];
}

export function gfDiv(a: number, b: number): number {
  if (b === 0) throw new Error('division by zero in GF(2^8)');
  return a === 0 ? 0 : EXP[(LOG[a] + 255 - LOG[b]) % 255];
}

/** Split `secret` into `parts` shares, any `threshold` of which recover it. */
export function split(secret: Uint8Array, parts: number, threshold: number): Uint8Array[] {
  if (parts < threshold || threshold < 2 || parts > 255) throw new Error('invalid Shamir parameters');
  // Distinct non-zero x coordinates in random order.
  const xs = Array.from({ length: 255 }, (_, i) => i + 1);
  for (let i = xs.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  const shares = Array.from({ length: parts }, (_, p) => {
    const s = new Uint8Array(secret.length + 1);
    s[secret.length] = xs[p];
    return s;
  });
  for (let b = 0; b < secret.length; b++) {
    const coeffs = [secret[b], ...randomBytes(threshold - 1)];
    for (const share of shares) {
      const x = share[secret.length];
      let y = 0;
      for (let k = coeffs.length - 1; k >= 0; k--) y = gfMul(y, x) ^ coeffs[k];
      share[b] = y;
    }
  }
  return shares;
}

/** Lagrange interpolation at x = 0 over the given shares. */
export function combine(shares: Uint8Array[]): Uint8Array {
  if (shares.length < 2) throw new Error('at least two Shamir parts are needed');
  const len = shares[0].length;
  if (shares.some((s) => s.length !== len) || len < 2) throw new Error('Shamir parts differ in length');
  const xs = shares.map((s) => s[len - 1]);
  if (new Set(xs).size !== xs.length) throw new Error('duplicate Shamir part');
  const secret = new Uint8Array(len - 1);
  for (let b = 0; b < len - 1; b++) {
    let result = 0;
    for (let i = 0; i < shares.length; i++) {
      let basis = 1;
      for (let j = 0; j < shares.length; j++) {
        if (i !== j) basis = gfMul(basis, gfDiv(xs[j], xs[i] ^ xs[j]));
      }
      result ^= gfMul(shares[i][b], basis);
    }
    secret[b] = result;
  }
  return secret;
}

import { createHash } from 'node:crypto';
import { sliceSecrets } from './secret-slice.ts';
import type { KeyDiscovery } from './keys.ts';
import type { SecretSource, SecretValues } from '../helm/values.ts';

export interface OpenedSecrets {
  secrets: SecretSource;
  /** HMAC key of the masker's markers: derived from the age identities, so markers are stable yet unguessable. */
  maskKey: Buffer;
  /** The run's one key lookup (none when keyless), for whatever else of the run needs the identities. */
  keys?: KeyDiscovery;
}

/**
 * The secrets a run renders with: decrypted in memory (each file once per run, whatever the number of releases),
 * or — keyless, for CI — structure-preserving placeholders that need no key and hold no secret (`distinct`: ones that
 * also tell ciphertexts apart, for comparing two versions of a file).
 */
export async function openSecrets(root: string, options: { keyless: boolean; distinct?: boolean }): Promise<OpenedSecrets> {
  // The SOPS engine is loaded on the first secrets file a release reads: charts without secrets never pay for it, and
  // keyless runs never load the key discovery (age-encryption) at all.
  if (options.keyless) {
    return {
      secrets: memoized(async (file) => {
        const { placeholderFile } = await import('./placeholders.ts');
        return { plaintext: await placeholderFile(file, undefined, { distinct: options.distinct }), leaves: [] };
      }),
      maskKey: keylessMaskKey,
    };
  }
  // One lookup per run: every file of the run is decrypted with it (a SOPS_AGE_KEY_CMD runs once).
  const { discoverAgeKeys } = await import('./keys.ts');
  const keys = await discoverAgeKeys({ workspaceRoot: root });
  const maskKey = maskKeyFor(keys.identities);
  return {
    secrets: memoized(async (file) => {
      const { decryptFile } = await import('./backend.ts');
      const decrypted = await decryptFile(file, { workspaceRoot: root, keys });
      // The whole file's plaintext is emitted only if a release takes the whole file, not one chart's key of it.
      return {
        get plaintext() {
          return decrypted.plaintext;
        },
        leaves: decrypted.leaves,
        branches: decrypted.branches,
      };
    }),
    maskKey,
    keys,
  };
}

/** The masker's HMAC key for a set of age identities (markers match across `template` and `secrets view`). */
export function maskKeyFor(identities: readonly string[]): Buffer {
  return identities.length ? createHash('sha256').update('homelab-mask\0').update(identities.join('\n')).digest() : keylessMaskKey;
}

/** With no key there is nothing secret to hide behind the HMAC (placeholders, or Secrets written in plain git). */
const keylessMaskKey = createHash('sha256').update('homelab-mask-keyless').digest();

function memoized(load: (file: string) => Promise<SecretValues>): SecretSource {
  const cache = new Map<string, Promise<SecretValues>>();
  const once = (key: string, make: () => Promise<SecretValues>) => {
    let entry = cache.get(key);
    if (!entry) cache.set(key, (entry = make()));
    return entry;
  };
  return {
    load(file, slice) {
      const whole = once(file, () => load(file));
      if (slice === undefined) return whole;
      return once(`${file}\0${slice}`, async () => sliceSecrets(await whole, file, slice));
    },
  };
}

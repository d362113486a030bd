import type { FieldPath } from './paths.ts';

/**
 * Unknown-field detection for precompiled validators that ignore extra properties.
 *
 * kubernetes-models' validators are ajv "standalone" code generated without `additionalProperties: false`, and
 * they ship no schema to add it to. But that code reads every property its schema declares
 * (`void 0 !== data.replicas`) and enumerates the keys of maps (`for (const k in data)`). Validating a proxy of
 * the document therefore tells, for each object node, which keys the schema knows: a key the validator never
 * looked at in an object where it looked at other keys is a field the API server rejects as unknown.
 * Objects the validator never looked into (free-form `valuesObject`, `RawExtension`) are skipped.
 */
interface Reads {
  keys: Set<string>;
  enumerated: boolean;
}

export interface TrackedValue {
  proxy: unknown;
  /** Unknown fields found after the proxy went through a validator, as paths below `base`. */
  unknownFields(base?: FieldPath): FieldPath[];
}

export function trackReads(root: unknown, ignoreKey: (key: string) => boolean = () => false): TrackedValue {
  const reads = new Map<object, Reads>();
  const proxies = new WeakMap<object, object>();

  const wrap = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    const cached = proxies.get(value);
    if (cached) return cached;
    const r: Reads = { keys: new Set(), enumerated: false };
    reads.set(value, r);
    const proxy = new Proxy(value, {
      get(target, key, receiver) {
        if (typeof key === 'string') r.keys.add(key);
        return wrap(Reflect.get(target, key, receiver));
      },
      has(target, key) {
        if (typeof key === 'string') r.keys.add(key);
        return Reflect.has(target, key);
      },
      ownKeys(target) {
        r.enumerated = true;
        return Reflect.ownKeys(target);
      },
    });
    proxies.set(value, proxy);
    return proxy;
  };

  const collect = (node: unknown, path: FieldPath, out: FieldPath[]): void => {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      node.forEach((item, i) => collect(item, [...path, i], out));
      return;
    }
    const r = reads.get(node);
    const typed = r !== undefined && r.keys.size > 0 && !r.enumerated;
    for (const [key, child] of Object.entries(node)) {
      if (typed && !r.keys.has(key) && !ignoreKey(key)) out.push([...path, key]);
      else collect(child, [...path, key], out);
    }
  };

  return {
    proxy: wrap(root),
    unknownFields(base = []) {
      const out: FieldPath[] = [];
      collect(root, base, out);
      return out;
    },
  };
}

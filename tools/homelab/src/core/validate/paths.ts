/** A field path as segments: object keys and array indexes. */
export type FieldPath = (string | number)[];

const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/;

/** `spec.template.spec.containers[0].image`; keys that are not plain names are quoted (`labels["app.kubernetes.io/name"]`). */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENTIFIER.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Turns an ajv `instancePath` (JSON pointer) into segments, using the data to tell array indexes from keys. */
export function pointerToPath(pointer: string, data: unknown): FieldPath {
  if (pointer === '') return [];
  const path: FieldPath = [];
  let node = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^\d+$/.test(key)) {
      path.push(Number(key));
      node = node[Number(key)];
    } else {
      path.push(key);
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return path;
}

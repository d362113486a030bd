import type { SecretValues } from '../helm/values.ts';

/**
 * One top-level key of a decrypted (or placeholder) document, as a document of its own in the file's format, with
 * the secret values found under it: what a release receives of the shared store, whose top-level keys are chart
 * names. A missing key gives an empty document. Only the first document of a multi-document file is read.
 */
export async function sliceSecrets(values: SecretValues, file: string, key: string): Promise<SecretValues> {
  const [{ emitPlain, loadPlain }, { formatFromPath }, { Branch, Comment, forEachLeaf }, { leafText }] = await Promise.all([
    import('./stores/index.ts'),
    import('./format.ts'),
    import('./tree.ts'),
    import('./engine.ts'),
  ]);
  const format = formatFromPath(file);
  const value = (values.branches ?? loadPlain(values.plaintext, format, file))[0]?.get(key);
  const slice = new Branch(value === undefined ? [] : [{ key, value }]);
  const texts = new Set<string>();
  forEachLeaf([slice], (leaf) => {
    const text = leaf.value instanceof Comment ? undefined : leafText(leaf.value);
    if (text !== undefined) texts.add(text);
  });
  return { plaintext: emitPlain(format, [slice], file), leaves: values.leaves.filter((leaf) => texts.has(leaf)) };
}

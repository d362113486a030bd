import { parseAllDocuments } from 'yaml';

/** One non-empty document of a multi-document render. */
export interface ManifestDocument {
  /** 1-based position among all `---`-separated documents (empty ones included), for messages. */
  index: number;
  /** Helm's `# Source: <chart>/templates/<file>` comment, when present. */
  source?: string;
  value: unknown;
  /** The first YAML syntax error, when the document does not parse. */
  error?: string;
}

/**
 * Kubernetes decodes manifests with go-yaml v2 semantics (sigs.k8s.io/yaml): YAML 1.1 booleans (`yes`, `on`)
 * and octal/underscore ints, but no sexagesimal numbers or timestamps, which stay strings. Parse the same way,
 * so `value: yes` fails a string field here exactly as it fails on the API server.
 */
const kubernetesTags = (tags: { format?: string; tag: string }[]) => tags.filter((t) => t.format !== 'TIME' && t.tag !== 'tag:yaml.org,2002:timestamp');

export function splitManifests(yamlText: string): ManifestDocument[] {
  // parseAllDocuments only returns an EmptyStream for input without any document; nothing to check then.
  const docs = parseAllDocuments(yamlText, { version: '1.1', customTags: kubernetesTags as never });
  if (!Array.isArray(docs)) return [];
  const out: ManifestDocument[] = [];
  let previousEnd = 0;
  docs.forEach((doc, i) => {
    const end = doc.range[2];
    const source = /^# Source: (.+)$/m.exec(yamlText.slice(previousEnd, doc.contents?.range[0] ?? end))?.[1]?.trim();
    previousEnd = end;
    if (doc.errors.length > 0) {
      out.push({ index: i + 1, source, value: undefined, error: doc.errors[0]!.message.split('\n')[0] });
      return;
    }
    const value: unknown = doc.toJS({ maxAliasCount: 1000 });
    if (value === null || value === undefined) return;
    out.push({ index: i + 1, source, value });
  });
  return out;
}

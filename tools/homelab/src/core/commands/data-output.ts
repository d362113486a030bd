// `-o json|yaml` where a command's output is data: the records a command builds with fixed keys (never its internal
// objects, whose fields change), printed as JSON or YAML. These records carry no decrypted value.
import { stringify } from 'yaml';

export const OUTPUT_FORMATS = ['json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function formatData(format: OutputFormat, data: unknown): string {
  return format === 'json' ? `${JSON.stringify(data, null, 2)}\n` : stringify(data);
}

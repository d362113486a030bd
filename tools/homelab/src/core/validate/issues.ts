import type { ErrorObject } from 'ajv';
import { pointerToPath, type FieldPath } from './paths.ts';

/** A problem inside one document, before it is tied to a release and resource. */
export interface Issue {
  path: FieldPath;
  message: string;
  severity: 'error' | 'warning';
}

export const unknownField = (path: FieldPath): Issue => ({
  path,
  message: `unknown field "${path[path.length - 1]}"`,
  severity: 'error',
});

/** Short description of a value for "got …" in messages; never the whole value. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return 'object';
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

function valueAt(data: unknown, path: FieldPath): unknown {
  let node = data;
  for (const seg of path) node = node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>)[seg] : undefined;
  return node;
}

const within = (inner: string, outer: string) => inner === outer || inner.startsWith(`${outer}/`);

/**
 * Whether error `i` is a branch error of the anyOf/oneOf error `u`: reported before it, at or below its field,
 * and under its schema path. Precompiled validators call a separate function per branch whose schema paths
 * restart at `#/`, so a union at the root of its function owns every earlier error at its field.
 */
function inBranch(errors: readonly ErrorObject[], i: number, u: number): boolean {
  const e = errors[i]!;
  const union = errors[u]!;
  return (
    i < u && within(e.instancePath, union.instancePath) && (e.schemaPath.startsWith(`${union.schemaPath}/`) || /^#\/(anyOf|oneOf)$/.test(union.schemaPath))
  );
}

/**
 * Turns ajv errors into one issue per problem. The errors of the branches of a failed anyOf/oneOf (for
 * int-or-string fields: "must be integer", "must be string") fold into that one issue.
 */
export function ajvIssues(errors: readonly ErrorObject[], data: unknown): Issue[] {
  const unions = errors.flatMap((e, i) => (e.keyword === 'anyOf' || e.keyword === 'oneOf' ? [i] : []));
  const issues: Issue[] = [];
  const seen = new Set<string>();
  errors.forEach((e, i) => {
    if (unions.some((u) => inBranch(errors, i, u))) return;
    const path = pointerToPath(e.instancePath, data);
    let issue: Issue;
    if (e.keyword === 'required') {
      const field = String((e.params as { missingProperty: string }).missingProperty);
      issue = { path: [...path, field], message: `missing required field "${field}"`, severity: 'error' };
    } else if (e.keyword === 'additionalProperties') {
      issue = unknownField([...path, String((e.params as { additionalProperty: string }).additionalProperty)]);
    } else if (e.keyword === 'type') {
      const type = [(e.params as { type: string | string[] }).type].flat().join(' or ');
      issue = { path, message: `must be ${type}, got ${describe(valueAt(data, path))}`, severity: 'error' };
    } else if (e.keyword === 'enum') {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ');
      issue = { path, message: `must be one of ${allowed}, got ${describe(valueAt(data, path))}`, severity: 'error' };
    } else if (e.keyword === 'anyOf' || e.keyword === 'oneOf') {
      const branchTypes = errors
        .filter((b, j) => b.keyword === 'type' && b.instancePath === e.instancePath && inBranch(errors, j, i))
        .flatMap((b) => [(b.params as { type: string | string[] }).type].flat());
      const expected = branchTypes.length > 0 ? `must be ${[...new Set(branchTypes)].join(' or ')}` : (e.message ?? 'is invalid');
      issue = { path, message: `${expected}, got ${describe(valueAt(data, path))}`, severity: 'error' };
    } else {
      issue = { path, message: e.message ?? `fails ${e.keyword}`, severity: 'error' };
    }
    const key = `${JSON.stringify(issue.path)} ${issue.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      issues.push(issue);
    }
  });
  return issues;
}

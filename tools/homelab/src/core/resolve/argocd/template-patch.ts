import { errorLine } from '../../model/errors.ts';
import { isRecord, parseYamlDocument } from '../../workspace/yaml-docs.ts';
import { TemplateError } from './go-values.ts';

/**
 * ArgoCD's applyTemplatePatch: the rendered `templatePatch` (JSON when it starts with `{`, else YAML) is a strategic
 * merge patch on the Application. No Application field has a merge key, so maps merge key by key, lists (sources,
 * valueFiles, parameters) are replaced whole, `null` deletes, and `$patch: replace|delete` act on the map holding
 * them. Inside `helm.valuesObject` (a raw JSON field) only top-level keys merge: a map or list there that both sides
 * have is an error, as in ArgoCD. The patch cannot change `spec.project`.
 */
export function applyTemplatePatch(app: Record<string, unknown>, text: string): Record<string, unknown> {
  let patch: unknown;
  try {
    patch = text.trim().startsWith('{') ? JSON.parse(text) : parseYamlDocument(text, 'templatePatch');
  } catch (err) {
    throw new TemplateError(`invalid templatePatch: ${errorLine(err)}`);
  }
  if (patch === null) return app;
  if (!isRecord(patch))
    throw new TemplateError(`invalid templatePatch: it renders to ${Array.isArray(patch) ? 'a list' : JSON.stringify(patch)}, not a mapping`);
  const merged = mergeMap(structuredClone(app), patch, false) ?? {};
  const spec = isRecord(merged.spec) ? merged.spec : (merged.spec = {});
  const project = isRecord(app.spec) ? app.spec.project : undefined;
  if (project === undefined) delete spec.project;
  else spec.project = project;
  return merged;
}

function mergeMap(original: Record<string, unknown>, patch: Record<string, unknown>, raw: boolean): Record<string, unknown> | undefined {
  const directive = patch.$patch;
  if (directive === 'delete') return undefined;
  if (directive === 'replace') {
    const { $patch: _, ...rest } = patch;
    return rest;
  }
  if (directive !== undefined) throw new TemplateError(`templatePatch: unknown $patch directive ${JSON.stringify(directive)}`);
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) throw new TemplateError(`templatePatch: the strategic merge directive ${key} is not supported`);
    const current = original[key];
    if (value === null) {
      delete original[key];
    } else if (isRecord(current) && isRecord(value)) {
      if (raw) throw new TemplateError(`templatePatch: unable to find api field in struct RawExtension for the json field "${key}"`);
      const merged = mergeMap(current, value, key === 'valuesObject');
      if (merged === undefined) delete original[key];
      else original[key] = merged;
    } else if (raw && Array.isArray(current) && Array.isArray(value)) {
      throw new TemplateError(`templatePatch: unable to find api field in struct RawExtension for the json field "${key}"`);
    } else {
      original[key] = value;
    }
  }
  return original;
}

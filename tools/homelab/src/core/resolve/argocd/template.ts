import { isRecord } from '../../workspace/yaml-docs.ts';
import { goTemplateOptions, renderGoTemplate, type GoTemplateOptions } from './gotemplate.ts';

/** Parameters of one generated Application: flat strings (fasttemplate) or nested data (goTemplate). */
export type Params = Record<string, unknown>;

export interface TemplateSyntax {
  goTemplate: boolean;
  options: GoTemplateOptions;
}

export function syntaxOf(spec: Record<string, unknown>): TemplateSyntax {
  return { goTemplate: spec.goTemplate === true, options: goTemplateOptions(Array.isArray(spec.goTemplateOptions) ? spec.goTemplateOptions : []) };
}

/**
 * ArgoCD's fasttemplate substitution (`goTemplate: false`): `{{ key }}` with the key trimmed is
 * replaced when the key is a string parameter; anything else stays as written.
 */
export function renderFastTemplate(text: string, params: Params): string {
  if (!/{{.*}}/.test(text)) return text;
  let out = '';
  let i = 0;
  for (;;) {
    const open = text.indexOf('{{', i);
    const close = open < 0 ? -1 : text.indexOf('}}', open + 2);
    if (close < 0) return out + text.slice(i);
    const tag = text.slice(open + 2, close);
    const value = params[tag.trim()];
    out += text.slice(i, open) + (typeof value === 'string' && tag.trim() !== '' ? value : `{{${tag}}}`);
    i = close + 2;
  }
}

export function renderString(text: string, params: Params, syntax: TemplateSyntax): string {
  return syntax.goTemplate ? renderGoTemplate(text, params, syntax.options) : renderFastTemplate(text, params);
}

/** Template every string of a structure, map keys included (ArgoCD templates keys too: labels, annotations, values). */
export function renderObject(value: unknown, params: Params, syntax: TemplateSyntax): unknown {
  if (typeof value === 'string') return renderString(value, params, syntax);
  if (Array.isArray(value)) return value.map((v) => renderObject(v, params, syntax));
  if (typeof value === 'object' && value !== null) {
    // Built in place (every generated Application renders the whole template): no entry pairs to allocate.
    const source = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(source)) {
      const name = renderString(key, params, syntax);
      const rendered = renderObject(source[key], params, syntax);
      // An own `__proto__` key, as Object.fromEntries makes it, rather than a new prototype.
      if (name === '__proto__') Object.defineProperty(out, name, { value: rendered, enumerable: true, writable: true, configurable: true });
      else out[name] = rendered;
    }
    return out;
  }
  return value;
}

/**
 * Merge `patch` into `base`: maps merge key by key, `null` deletes, anything else (lists included)
 * replaces. That is what a strategic merge patch does on Application fields (none have merge keys).
 */
export function deepMerge(base: unknown, patch: unknown): unknown {
  if (!isRecord(base) || !isRecord(patch)) return patch;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = deepMerge(out[key], value);
  }
  return out;
}

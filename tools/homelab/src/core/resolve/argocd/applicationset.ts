import { HomelabError } from '../../model/errors.ts';
import type { RepoFiles } from '../../workspace/repo-files.ts';
import { isRecord } from '../../workspace/yaml-docs.ts';
import { excludedDirectories, generateParams, generatorType } from './generators.ts';
import { TemplateError } from './gotemplate.ts';
import { deepMerge, renderObject, renderString, syntaxOf } from './template.ts';
import { applyTemplatePatch } from './template-patch.ts';

/**
 * The Applications an ApplicationSet generates: for each generator, for each parameter set,
 * the template (the generator's own `template` merged over `spec.template`) rendered with the
 * parameters, then `templatePatch` rendered and merged in.
 */
export async function expandApplicationSet(appset: Record<string, unknown>, file: string, files: RepoFiles): Promise<Record<string, unknown>[]> {
  const name = isRecord(appset.metadata) ? String(appset.metadata.name ?? '') : '';
  const fail = (message: string, hint = 'see the ApplicationSet generators/templates supported by homelab in releases.ts'): never => {
    throw new HomelabError(`${file}: ApplicationSet ${name || '(unnamed)'}: ${message}`, hint);
  };
  const spec = appset.spec;
  if (!isRecord(spec)) return fail('spec is missing', 'add spec.generators and spec.template');
  if (!Array.isArray(spec.generators) || spec.generators.length === 0 || !spec.generators.every(isRecord)) {
    return fail('spec.generators is missing or empty', 'add at least one generator');
  }
  if (!isRecord(spec.template)) return fail('spec.template is missing', 'add spec.template with metadata and spec');
  const syntax = syntaxOf(spec);
  const patch = spec.templatePatch;
  if (patch !== undefined && typeof patch !== 'string') return fail('templatePatch must be a string');

  const apps: Record<string, unknown>[] = [];
  try {
    for (const generator of spec.generators) {
      const own = generator[generatorType(generator)];
      const template = isRecord(own) && isRecord(own.template) ? deepMerge(spec.template, own.template) : spec.template;
      for (const params of await generateParams(generator, syntax, files)) {
        // ArgoCD leaves the template untouched for an empty parameter set, but still renders and applies the patch.
        let app = toApplication(Object.keys(params).length === 0 ? template : renderObject(template, params, syntax));
        if (patch !== undefined) app = toApplication(applyTemplatePatch(app, renderString(patch, params, syntax)));
        apps.push(app);
      }
    }
  } catch (err) {
    if (err instanceof TemplateError) {
      return fail(
        err.message,
        syntax.goTemplate ? 'fix the Go template (docs/generators-adoption.md lists what homelab renders)' : 'use fasttemplate {{param}} tags',
      );
    }
    throw err;
  }
  for (const app of apps) assertRendered(app, syntax.goTemplate, fail);
  return apps;
}

function toApplication(template: unknown): Record<string, unknown> {
  const t = isRecord(template) ? template : {};
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: t.metadata ?? {}, spec: t.spec ?? {} };
}

/**
 * Fields that decide what gets deployed must be fully rendered: a fasttemplate tag left as written
 * (unknown parameter or Go syntax without goTemplate) or a Go `<no value>` would be deployed
 * literally by ArgoCD, or refused.
 */
function assertRendered(app: Record<string, unknown>, goTemplate: boolean, fail: (m: string, h?: string) => never): void {
  const spec = isRecord(app.spec) ? app.spec : {};
  const metadata = isRecord(app.metadata) ? app.metadata : {};
  const fields: [string, unknown][] = [
    ['metadata.name', metadata.name],
    ['spec.project', spec.project],
    ['spec.destination', spec.destination],
    ['spec.source', spec.source],
    ['spec.sources', spec.sources],
  ];
  for (const [where, value] of fields) {
    const bad = findUnrendered(where === 'spec.source' || where === 'spec.sources' ? pickSourceFields(value) : value);
    if (bad !== undefined) {
      fail(
        `${where} renders to "${bad}"`,
        goTemplate
          ? 'a parameter is missing: check the generator parameters (goTemplateOptions: ["missingkey=error"] finds them)'
          : 'unknown fasttemplate parameter (Go syntax like {{.path.basename}} needs goTemplate: true)',
      );
    }
  }
}

/** Source fields that name what to deploy (helm values may legitimately contain `{{`). */
function pickSourceFields(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pickSourceFields);
  if (!isRecord(value)) return value;
  const helm = isRecord(value.helm) ? value.helm : {};
  return [value.repoURL, value.path, value.chart, value.targetRevision, value.ref, helm.releaseName, helm.valueFiles, helm.namespace];
}

/** What a template left unrendered (a constant: one RegExp for every string of every generated Application). */
const UNRENDERED = /{{.*}}|<no value>/;

function findUnrendered(value: unknown): string | undefined {
  if (typeof value === 'string') return UNRENDERED.test(value) ? value : undefined;
  const items = Array.isArray(value) ? value : isRecord(value) ? Object.values(value) : [];
  for (const item of items) {
    const bad = findUnrendered(item);
    if (bad !== undefined) return bad;
  }
  return undefined;
}

/**
 * The directories an ApplicationSet's git directory generators match but exclude (`exclude: true`): charts there are
 * not deployed by it. Call after expandApplicationSet succeeded (the generators are known to be valid).
 */
export async function excludedByApplicationSet(appset: Record<string, unknown>, files: RepoFiles): Promise<string[]> {
  const spec = isRecord(appset.spec) ? appset.spec : {};
  const generators = Array.isArray(spec.generators) ? spec.generators.filter(isRecord) : [];
  const dirs = await Promise.all(generators.map((generator) => excludedDirectories(generator, files)));
  return [...new Set(dirs.flat())].sort();
}

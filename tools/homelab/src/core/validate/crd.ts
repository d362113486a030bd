import { Ajv, type ValidateFunction } from 'ajv';
import { formats } from '@kubernetes-models/validate';
import { objectMetaValidator, type ModelValidator } from './builtin.ts';
import { ajvIssues, type Issue } from './issues.ts';

/**
 * Validators for custom resources from the `openAPIV3Schema` of CustomResourceDefinitions.
 *
 * The API server treats a CRD schema as a *structural* schema: fields it does not declare are pruned, and
 * with strict field validation (kubectl's default) reported as unknown. ajv does neither on its own, so each
 * object node gets `additionalProperties: false` unless it preserves unknown fields. Value validations under
 * allOf/anyOf/oneOf/not cannot declare fields and are left as written. CEL rules (`x-kubernetes-validations`)
 * are not evaluated.
 */
type Schema = Record<string, unknown>;

/**
 * Formats whose meaning is the same for the API server and for ajv. Others are not checked: `duration`, for
 * one, is a Go duration (`2160h`) to the API server but ISO 8601 (`P90D`) to ajv.
 */
const SHARED_FORMATS = ['int32', 'int64', 'float', 'double', 'byte', 'date', 'date-time', 'uuid', 'ipv4', 'ipv6', 'cidr'];
const ajv = new Ajv({
  allErrors: true,
  strict: false,
  logger: false,
  formats: Object.fromEntries(Object.entries(formats).filter(([name]) => SHARED_FORMATS.includes(name))) as never,
});
const compiled = new Map<string, ValidateFunction | Error>();

/** Compiles once per process per distinct schema; the same CRD in many renders costs one compile. */
function compile(schema: Schema): ValidateFunction | Error {
  const key = JSON.stringify(schema);
  let fn = compiled.get(key);
  if (!fn) {
    try {
      fn = ajv.compile(schema);
    } catch (err) {
      fn = err instanceof Error ? err : new Error(String(err));
    }
    compiled.set(key, fn);
  }
  return fn;
}

const isSchema = (v: unknown): v is Schema => v !== null && typeof v === 'object' && !Array.isArray(v);

function structural(node: Schema): Schema {
  const out: Schema = { ...node };
  if (isSchema(out.properties)) {
    out.properties = Object.fromEntries(Object.entries(out.properties).map(([k, v]) => [k, isSchema(v) ? structural(v) : v]));
  }
  if (isSchema(out.items)) out.items = structural(out.items);
  if (isSchema(out.additionalProperties)) out.additionalProperties = structural(out.additionalProperties);
  if (out['x-kubernetes-embedded-resource'] === true) {
    out.properties = { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, ...(out.properties as Schema) };
  }
  if (out['x-kubernetes-int-or-string'] === true && out.type === undefined && out.anyOf === undefined) out.type = ['integer', 'string'];
  const isObject = out.type === 'object' || out.properties !== undefined;
  if (isObject && out.additionalProperties === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) {
    out.additionalProperties = false;
  }
  return out;
}

/** The root of every custom resource also carries apiVersion, kind and an ObjectMeta (validated on its own). */
function rootSchema(openAPIV3Schema: Schema): Schema {
  const root = structural(openAPIV3Schema);
  return {
    ...root,
    properties: { ...(root.properties as Schema), apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' } },
  };
}

function crValidator(crdName: string, openAPIV3Schema: Schema): ModelValidator {
  const fn = compile(rootSchema(openAPIV3Schema));
  return (value) => {
    if (fn instanceof Error) {
      return [{ path: [], message: `cannot check against the schema of CRD ${crdName}: ${fn.message}`, severity: 'warning' }];
    }
    const issues: Issue[] = fn(value) ? [] : ajvIssues(fn.errors ?? [], value);
    const metadata = (value as Schema).metadata;
    return isSchema(metadata) ? [...issues, ...objectMetaValidator()(metadata, ['metadata'])] : issues;
  };
}

/** Whether a parsed document is a CustomResourceDefinition. */
export const isCrd = (doc: unknown): boolean =>
  isSchema(doc) && doc.kind === 'CustomResourceDefinition' && typeof doc.apiVersion === 'string' && doc.apiVersion.startsWith('apiextensions.k8s.io/');

/**
 * `group/version Kind` → validator, for every served version with a schema of the given CRDs
 * (apiextensions.k8s.io/v1 `spec.versions[].schema`, and v1beta1's top-level `spec.validation`).
 */
export function crdValidators(crds: readonly unknown[]): Map<string, ModelValidator> {
  const out = new Map<string, ModelValidator>();
  for (const crd of crds) {
    if (!isCrd(crd)) continue;
    const { metadata, spec } = crd as { metadata?: { name?: string }; spec?: Schema };
    const group = spec?.group;
    const kind = (spec?.names as { kind?: unknown } | undefined)?.kind;
    if (typeof group !== 'string' || typeof kind !== 'string') continue;
    const shared = (spec?.validation as { openAPIV3Schema?: unknown } | undefined)?.openAPIV3Schema;
    const versions = Array.isArray(spec?.versions) ? (spec.versions as Schema[]) : [{ name: spec?.version, served: true }];
    for (const version of versions) {
      const schema = (version.schema as { openAPIV3Schema?: unknown } | undefined)?.openAPIV3Schema ?? shared;
      if (version.served === false || typeof version.name !== 'string' || !isSchema(schema)) continue;
      out.set(`${group}/${version.name} ${kind}`, crValidator(metadata?.name ?? `${kind}.${group}`, schema));
    }
  }
  return out;
}

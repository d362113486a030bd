import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ErrorObject } from 'ajv';
import { ajvIssues, unknownField, type Issue } from './issues.ts';
import type { FieldPath } from './paths.ts';
import { trackReads } from './tracking.ts';

/**
 * Schemas of built-in kinds come from `kubernetes-models` (OpenAPI of the Kubernetes release it was generated
 * from, ajv-precompiled, one module per kind) and of ArgoCD kinds from `@kubernetes-models/argo-cd`.
 * Modules load on first use of a kind and stay cached: each validator is compiled once, at publish time.
 */
const require = createRequire(import.meta.url);

/** A model class of kubernetes-models: `validate()` runs the precompiled validator on `this`. */
interface ModelClass {
  apiVersion?: string;
  kind?: string;
  prototype: { validate(this: unknown): void };
}

export type ModelValidator = (value: unknown, base?: FieldPath) => Issue[];

const packageFor = (apiVersion: string) => (apiVersion.startsWith('argoproj.io/') ? '@kubernetes-models/argo-cd' : 'kubernetes-models');

const cache = new Map<string, ModelValidator | undefined>();
/** Only well-formed apiVersions and kinds become module specifiers. */
const API_VERSION = /^([a-z0-9.-]+\/)?v\d+((alpha|beta)\d+)?$/;
const KIND = /^[A-Za-z0-9]+$/;

/** The validator of a built-in or ArgoCD kind, or undefined when the packages have no model for it. */
export function builtinValidator(apiVersion: string, kind: string): ModelValidator | undefined {
  const key = `${apiVersion} ${kind}`;
  if (!API_VERSION.test(apiVersion) || !KIND.test(kind)) return undefined;
  if (!cache.has(key)) {
    const model = loadModel(`${packageFor(apiVersion)}/${apiVersion}/${kind}`, kind);
    // Modules of nested types (apps/v1/DeploymentSpec) exist too; only top-level kinds carry apiVersion and kind.
    const isKind = model?.apiVersion === apiVersion && model.kind === kind;
    cache.set(key, isKind ? modelValidator(model) : undefined);
  }
  return cache.get(key);
}

/** ObjectMeta, for the `metadata` of custom resources (the API server validates it for every kind). */
let objectMeta: ModelValidator | undefined;
export function objectMetaValidator(): ModelValidator {
  objectMeta ??= modelValidator(loadModel('@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta', 'ObjectMeta')!);
  return objectMeta;
}

function loadModel(specifier: string, kind: string): ModelClass | undefined {
  let file: string;
  try {
    file = fileURLToPath(import.meta.resolve(specifier));
  } catch {
    return undefined; // no export for this apiVersion: the package has no such API group/version
  }
  // An export pattern (`./apps/v1/*`) resolves whatever the kind; the file tells whether the model exists.
  if (!existsSync(file)) return undefined;
  // require() of these ESM modules (no top-level await) is synchronous, which keeps validation synchronous.
  const mod = require(file) as Record<string, ModelClass | undefined>;
  return mod[kind];
}

/**
 * The package's generator drops schema properties named `description` and `x-kubernetes-*` (it takes them
 * for annotations), so its validators never read them: never report those keys as unknown.
 */
const generatorDropsKey = (key: string) => key === 'description' || key.startsWith('x-kubernetes-');

function modelValidator(model: ModelClass): ModelValidator {
  return (value, base = []) => {
    const tracked = trackReads(value, generatorDropsKey);
    let errors: ErrorObject[] = [];
    try {
      model.prototype.validate.call(tracked.proxy);
    } catch (err) {
      const failed = (err as { errors?: ErrorObject[] }).errors;
      if (!failed) throw err;
      errors = failed;
    }
    const issues = ajvIssues(errors, value).map((i) => ({ ...i, path: [...base, ...i.path] }));
    return [...issues, ...tracked.unknownFields(base).map(unknownField)];
  };
}

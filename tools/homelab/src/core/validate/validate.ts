import { HomelabError } from '../model/errors.ts';
import { builtinValidator, type ModelValidator } from './builtin.ts';
import { crdValidators, isCrd } from './crd.ts';
import { apiVersionStatus, parseKubeVersion } from './deprecations.ts';
import { splitManifests, type ManifestDocument } from './documents.ts';
import type { Issue } from './issues.ts';
import { formatPath } from './paths.ts';

/** One problem in a rendered manifest. */
export interface Finding {
  release: string;
  /** `Kind/namespace/name`, or `Kind/name` when the document sets no namespace. */
  resource: string;
  /** Field path such as `spec.template.spec.containers[0].image`; '' for the whole document. */
  path: string;
  message: string;
  severity: 'error' | 'warning';
}

export interface ValidateOptions {
  /** Release name, copied into every finding. */
  release: string;
  /** Kubernetes version the cluster declares (`clusters/<c>/cluster.yaml` `kubeVersion`), e.g. `1.33.0`. */
  kubeVersion: string;
  /**
   * YAML texts (one or many documents each) holding CustomResourceDefinitions whose `openAPIV3Schema`
   * validates custom resources. CRDs inside `yamlText` itself are always used as well.
   */
  crds?: readonly string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function resourceName(doc: ManifestDocument): string {
  const value = isObject(doc.value) ? doc.value : {};
  const metadata = isObject(value.metadata) ? value.metadata : {};
  const kind = typeof value.kind === 'string' ? value.kind : '';
  const name = typeof metadata.name === 'string' ? metadata.name : typeof metadata.generateName === 'string' ? metadata.generateName : '';
  const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : '';
  const id = [kind || `document ${doc.index}`, namespace, name].filter(Boolean).join('/');
  // Without a kind or name the template it came from is what tells the reader where to look.
  return doc.source && !(kind && name) ? `${id} (${doc.source})` : id;
}

/**
 * Validates every document of a (helm template) render, offline: structure against the Kubernetes OpenAPI
 * schemas of `kubernetes-models`, ArgoCD kinds against `@kubernetes-models/argo-cd`, custom resources against
 * the CRDs given or rendered alongside, API versions against the declared Kubernetes version.
 *
 * Severity: schema violations, unknown fields, removed API versions and kinds nothing describes are errors
 * (the API server would reject them, or nothing checked them); API versions deprecated but still served are
 * warnings. Findings come in document order.
 */
export function validateManifests(yamlText: string, opts: ValidateOptions): Finding[] {
  const kubeVersion = parseKubeVersion(opts.kubeVersion);
  if (!kubeVersion) {
    throw new HomelabError(
      `kubeVersion "${opts.kubeVersion}" of release ${opts.release} is not a Kubernetes version`,
      'declare it as "1.33.0" in clusters/<cluster>/cluster.yaml',
    );
  }
  const docs = splitManifests(yamlText);
  const crdDocs = [...(opts.crds ?? []).flatMap((text) => splitManifests(text)), ...docs].map((d) => d.value).filter(isCrd);
  const customKinds = crdValidators(crdDocs);

  const findings: Finding[] = [];
  for (const doc of docs) {
    const resource = resourceName(doc);
    // Within a document, by field path: stable output whatever order the validators report in.
    const issues = documentIssues(doc, kubeVersion, customKinds)
      .map((issue) => ({ ...issue, field: formatPath(issue.path) }))
      .sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0));
    for (const issue of issues) {
      findings.push({ release: opts.release, resource, path: issue.field, message: issue.message, severity: issue.severity });
    }
  }
  return findings;
}

function documentIssues(doc: ManifestDocument, kubeVersion: [number, number], customKinds: Map<string, ModelValidator>): Issue[] {
  if (doc.error !== undefined) return [{ path: [], message: `YAML does not parse: ${doc.error}`, severity: 'error' }];
  const value = doc.value;
  if (!isObject(value)) return [{ path: [], message: 'document is not a Kubernetes object (a YAML mapping)', severity: 'error' }];

  const apiVersion = typeof value.apiVersion === 'string' ? value.apiVersion : '';
  const kind = typeof value.kind === 'string' ? value.kind : '';
  const head: Issue[] = [];
  if (!apiVersion) head.push({ path: ['apiVersion'], message: 'missing apiVersion', severity: 'error' });
  if (!kind) head.push({ path: ['kind'], message: 'missing kind', severity: 'error' });
  if (head.length > 0) return head;

  const status = apiVersionStatus(apiVersion, kind, kubeVersion);
  if (status?.state === 'removed') return [{ path: ['apiVersion'], message: status.message, severity: 'error' }];
  const issues: Issue[] = status ? [{ path: ['apiVersion'], message: status.message, severity: 'warning' }] : [];

  const validator = customKinds.get(`${apiVersion} ${kind}`) ?? builtinValidator(apiVersion, kind);
  if (!validator) {
    const message = `unknown kind ${kind} in ${apiVersion}: no Kubernetes schema and no CRD describes it — pass its CustomResourceDefinition in the crds option`;
    return [...issues, { path: ['kind'], message, severity: 'error' }];
  }
  issues.push(...validator(value));

  const metadata = isObject(value.metadata) ? value.metadata : undefined;
  if (!metadata?.name && !metadata?.generateName) {
    issues.push({ path: ['metadata', 'name'], message: 'missing required field "name" (or generateName)', severity: 'error' });
  }
  return issues;
}

import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { HomelabError } from '../model/errors.ts';
import { captureInvocation, invocation, type Invocation } from '../exec/invocation.ts';
import { failureLine } from '../exec/process.ts';
import type { Release } from '../model/types.ts';
import { isRecord, parseYamlDocuments } from '../workspace/yaml-docs.ts';
import { isUnreachable, kubectlArgs, unreachable, type KubeTarget } from './kube.ts';

/**
 * Steering ArgoCD through its Application objects with kubectl, as `argocd app set/sync/get --refresh` do through
 * ArgoCD's API server (no argocd CLI, no login): every change is one JSON merge patch on the Application.
 */

/**
 * Where a pause keeps the syncPolicy it replaced (JSON), so resume puts back exactly that, whatever it held (retry,
 * syncOptions, automated.allowEmpty…). Its presence is also how `status` knows the pause is ours.
 */
export const PAUSED_ANNOTATION = 'homelab.dev/paused-sync-policy';
/** ArgoCD's controller refreshes an Application carrying it (normal: compare again; hard: regenerate manifests), then removes it. */
export const REFRESH_ANNOTATION = 'argocd.argoproj.io/refresh';

export type ApplicationObject = Record<string, unknown>;
export type MergePatch = Record<string, unknown>;

function field(object: unknown, ...keys: string[]): unknown {
  let value = object;
  for (const key of keys) value = isRecord(value) ? value[key] : undefined;
  return value;
}

export function syncPolicyOf(app: ApplicationObject): unknown {
  return field(app, 'spec', 'syncPolicy');
}

/** ArgoCD syncs automatically when `automated` is present and not `enabled: false`. */
export function isAutomated(syncPolicy: unknown): boolean {
  const automated = field(syncPolicy, 'automated');
  return isRecord(automated) && automated.enabled !== false;
}

/** The syncPolicy a pause saved, when this Application carries one. */
export function pausedPolicy(app: ApplicationObject): { saved: unknown } | undefined {
  const raw = field(app, 'metadata', 'annotations', PAUSED_ANNOTATION);
  if (typeof raw !== 'string') return undefined;
  try {
    return { saved: JSON.parse(raw) };
  } catch {
    const name = String(field(app, 'metadata', 'name'));
    throw new HomelabError(
      `Application ${name}: annotation ${PAUSED_ANNOTATION} is not the JSON a pause writes`,
      `restore spec.syncPolicy by hand (git holds it), then kubectl annotate applications.argoproj.io ${name} ${PAUSED_ANNOTATION}-`,
    );
  }
}

/** Paused by homelab and still not syncing automatically (a parent re-applying git would have undone the pause). */
export function isPaused(app: ApplicationObject): boolean {
  return typeof field(app, 'metadata', 'annotations', PAUSED_ANNOTATION) === 'string' && !isAutomated(syncPolicyOf(app));
}

/**
 * Optimistic concurrency: a merge patch naming the resourceVersion it was computed from fails with a conflict when
 * the object changed in between (the controller may write it any moment), instead of saving a stale policy.
 */
function guarded(app: ApplicationObject, patch: MergePatch): MergePatch {
  const { metadata, ...rest } = patch;
  return { metadata: { resourceVersion: field(app, 'metadata', 'resourceVersion'), ...(isRecord(metadata) ? metadata : {}) }, ...rest };
}

/**
 * Automated sync (and with it self-heal and auto-prune) off, the policy it replaced saved in the annotation (`saved`
 * stands for it where the cluster was not read: a dry run).
 */
export function pausePatch(app: ApplicationObject, saved = JSON.stringify(syncPolicyOf(app) ?? null)): MergePatch {
  return guarded(app, {
    metadata: { annotations: { [PAUSED_ANNOTATION]: saved } },
    spec: { syncPolicy: { automated: null } },
  });
}

/** The saved syncPolicy back exactly (fields added since the pause removed), the annotation gone. */
export function resumePatch(app: ApplicationObject, saved: unknown): MergePatch {
  const current = syncPolicyOf(app);
  const policy = isRecord(saved) && isRecord(current) ? mergePatchBetween(current, saved) : (saved ?? null);
  const changesPolicy = !isRecord(policy) || Object.keys(policy).length > 0;
  return guarded(app, { metadata: { annotations: { [PAUSED_ANNOTATION]: null } }, ...(changesPolicy ? { spec: { syncPolicy: policy } } : {}) });
}

/** The RFC 7386 merge patch turning `from` into `to`: removed keys null, changed values replaced, nested maps recursed. */
export function mergePatchBetween(from: Record<string, unknown>, to: Record<string, unknown>): MergePatch {
  const patch: MergePatch = {};
  for (const key of Object.keys(from)) if (!(key in to)) patch[key] = null;
  for (const [key, value] of Object.entries(to)) {
    const before = from[key];
    if (isRecord(before) && isRecord(value)) {
      const inner = mergePatchBetween(before, value);
      if (Object.keys(inner).length > 0) patch[key] = inner;
    } else if (JSON.stringify(before) !== JSON.stringify(value)) patch[key] = value;
  }
  return patch;
}

/**
 * What `argocd app sync` asks ArgoCD's API server to write: an `operation` the controller picks up, with the
 * Application's own syncOptions and retry, the default (hook) strategy, and who asked. The revision is left to the
 * controller, which syncs to what targetRevision resolves to (the API server resolves it first; kubectl cannot).
 */
export function syncPatch(app: ApplicationObject, options: { prune?: boolean }): MergePatch {
  const syncOptions = field(app, 'spec', 'syncPolicy', 'syncOptions');
  const retry = field(app, 'spec', 'syncPolicy', 'retry');
  return guarded(app, {
    operation: {
      initiatedBy: { username: initiator() },
      sync: {
        ...(options.prune ? { prune: true } : {}),
        ...(Array.isArray(syncOptions) ? { syncOptions } : {}),
        syncStrategy: { hook: {} },
      },
      ...(isRecord(retry) ? { retry } : {}),
    },
  });
}

/** Shown in ArgoCD's UI and history as who started the sync. */
export function initiator(): string {
  return `${userInfo().username} (homelab)`;
}

export function refreshPatch(kind: 'normal' | 'hard'): MergePatch {
  return { metadata: { annotations: { [REFRESH_ANNOTATION]: kind } } };
}

/** `kubectl patch applications.argoproj.io <name> --type merge`: the one write every ArgoCD action here makes. */
export function patchCall(root: string, target: KubeTarget, namespace: string, name: string, patch: MergePatch): Invocation {
  const args = kubectlArgs(target, ['patch', 'applications.argoproj.io', name, '--namespace', namespace, '--type', 'merge', '--patch', JSON.stringify(patch)]);
  return invocation('kubectl', target.kubectl, args, root, { env: target.env });
}

export async function runPatch(call: Invocation, target: KubeTarget, name: string): Promise<void> {
  const result = await captureInvocation(call, 60_000);
  if (result.exitCode === 0) return;
  if (isUnreachable(result.stderr)) throw unreachable(target, result.stderr);
  if (/the object has been modified|Conflict/i.test(result.stderr)) {
    throw new HomelabError(`Application ${name} changed while this ran (ArgoCD wrote it): nothing was patched`, 'run the same command again');
  }
  throw new HomelabError(`kubectl patch of Application ${name} failed: ${failureLine(result.stderr)}`, 'check your permissions on applications.argoproj.io');
}

/**
 * The Applications whose automated sync would undo a change to this release's Application, nearest first: the
 * Application that syncs the directory its manifest lives in (the root app-of-apps), and its own parent in turn.
 * An app-of-apps chart's children belong to the Application deploying that chart.
 */
export function parentApplications(release: Release, releases: readonly Release[]): Release[] {
  const parents: Release[] = [];
  const seen = new Set<Release>([release]);
  for (let child: Release | undefined = release; child; ) {
    const current: Release = child;
    child = releases.find(
      (p) =>
        !seen.has(p) &&
        p.cluster === current.cluster &&
        p.application !== '' &&
        // An app-of-apps child's definedIn is its parent's manifest file, so only that parent is its own.
        (current.origin === 'app-of-apps'
          ? p.origin !== 'app-of-apps' && p.definedIn.some((file) => current.definedIn.includes(file))
          : p.source?.kind === 'directory' && current.definedIn.some((file) => file.startsWith(`${p.chartDir}/`))),
    );
    if (child) {
      seen.add(child);
      parents.push(child);
    }
  }
  return parents;
}

/**
 * An ApplicationSet rewrites the Applications it generates to its template at once (it watches them), so a paused
 * syncPolicy would be back within seconds, unless the ApplicationSet leaves it alone: `ignoreApplicationDifferences`
 * covering /spec/syncPolicy (ArgoCD's documented way to let users turn auto-sync off), or an applicationsSync policy
 * that never updates. Refuses naming the file and the line to add.
 */
export async function assertApplicationSetKeepsPause(root: string, release: Release): Promise<void> {
  if (release.origin !== 'applicationset') return;
  for (const file of release.definedIn) {
    const docs = parseYamlDocuments(await readFile(path.resolve(root, file), 'utf8'), file);
    for (const doc of docs) {
      if (!isRecord(doc) || doc.kind !== 'ApplicationSet' || keepsSyncPolicy(doc, release.application)) continue;
      throw new HomelabError(
        `cannot pause ${release.cluster}/${release.name}: ApplicationSet ${String(field(doc, 'metadata', 'name'))} (${file}) rewrites Application ${release.application} to its template at once, automated sync included`,
        'add "ignoreApplicationDifferences: [{jsonPointers: [/spec/syncPolicy]}]" to its spec (commit it; ArgoCD then leaves a paused syncPolicy alone), or install without --pause-sync',
      );
    }
  }
}

function keepsSyncPolicy(appSet: Record<string, unknown>, application: string): boolean {
  if (['create-only', 'create-delete'].includes(String(field(appSet, 'spec', 'syncPolicy', 'applicationsSync')))) return true;
  const rules = field(appSet, 'spec', 'ignoreApplicationDifferences');
  return (Array.isArray(rules) ? rules : []).some((rule) => {
    if (!isRecord(rule) || (typeof rule.name === 'string' && rule.name !== '' && rule.name !== application)) return false;
    const pointers = Array.isArray(rule.jsonPointers) ? rule.jsonPointers : [];
    const jq = Array.isArray(rule.jqPathExpressions) ? rule.jqPathExpressions : [];
    return pointers.some((p) => ['/spec', '/spec/syncPolicy'].includes(String(p))) || jq.some((e) => ['.spec', '.spec.syncPolicy'].includes(String(e)));
  });
}

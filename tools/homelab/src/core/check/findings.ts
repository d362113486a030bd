import { normalizePath } from '../resolve/releases.ts';
import type { Release } from '../model/types.ts';
import { isRecord } from '../workspace/yaml-docs.ts';
import type { ApplicationDoc } from './resolution.ts';

/** The rules of `check` (docs/quality.md describes each). */
export type CheckRule = 'resolve' | 'deployed' | 'paths' | 'namespace' | 'tiers' | 'render' | 'secrets-encrypted' | 'secret-keys';

/** One problem in the wiring between charts/ and clusters/: `message` names the file, `hint` says the fix. */
export interface CheckFinding {
  rule: CheckRule;
  message: string;
  hint: string;
}

export function findingLine(finding: CheckFinding): string {
  return `[${finding.rule}] ${finding.message}${finding.hint ? ` — ${finding.hint}` : ''}`;
}

/** Collects findings, dropping exact repeats (one Application may yield several releases). */
export class Findings {
  readonly list: CheckFinding[] = [];

  add(rule: CheckRule, message: string, hint: string): void {
    if (!this.list.some((f) => f.rule === rule && f.message === message)) this.list.push({ rule, message, hint });
  }
}

/** `file: Application name` — where a release is declared, for messages (an app-of-apps child: its parent's file). */
export function whereDeclared(release: Release): string {
  const child = release.origin === 'app-of-apps' ? ' (rendered by an app-of-apps chart)' : '';
  return `${release.definedIn[0] ?? release.chartDir}: Application ${release.application}${child}`;
}

/** The Application (as written or generated) behind a release. */
export function applicationOf(applications: ApplicationDoc[], release: Release): ApplicationDoc | undefined {
  return applications.find((a) => a.cluster.name === release.cluster && a.name === release.application);
}

export function annotationsOf(doc: Record<string, unknown>): Record<string, unknown> {
  return isRecord(doc.metadata) && isRecord(doc.metadata.annotations) ? doc.metadata.annotations : {};
}

/** Paths of an Application's git sources (not Helm repository or OCI sources), workspace-relative. */
export function gitSourcePaths(doc: Record<string, unknown>): string[] {
  const spec = isRecord(doc.spec) ? doc.spec : {};
  const sources = Array.isArray(spec.sources) && spec.sources.length > 0 ? spec.sources : [spec.source];
  return sources
    .filter(isRecord)
    .filter((s) => s.chart === undefined && typeof s.path === 'string' && !String(s.repoURL ?? '').startsWith('oci://'))
    .map((s) => normalizePath(s.path as string));
}

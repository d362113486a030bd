// The Nx-free core as a library (`@homelab/nx/core`): open a repository, read its releases as ArgoCD resolves them,
// and run the same commands the Nx targets and the homelab bin run.
export { openWorkspace, selectReleases, type Workspace } from './resolve/workspace.ts';
export { template, renderReleases, type TemplateRequest } from './commands/template.ts';
export { lint, type LintRequest, type LintResult } from './commands/lint.ts';
export { validate, type ValidateRequest } from './commands/validate.ts';
export { check, checkWorkspace, type CheckReport, type CheckRequest } from './commands/check.ts';
export { HomelabError, errorLine } from './model/errors.ts';
export type { Chart, ClusterDeclaration, Release, ReleaseSource, ValueFile } from './model/types.ts';

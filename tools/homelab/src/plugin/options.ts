import { normalizeLayout, type ProjectNaming, type WorkspaceLayout } from '../core/workspace/layout.ts';

/** Options of the `@homelab/nx` plugin entry in nx.json. Every target name can be renamed. */
export interface HomelabPluginOptions {
  /** Globs of chart directories (each holding a Chart.yaml). Default `['charts/*']`. */
  chartGlobs?: string[];
  /** Globs of cluster directories holding ArgoCD manifests. Default `['clusters/*']`. */
  clusterGlobs?: string[];
  /**
   * How chart directories become project names (and what `hack/` commands take): `basename` (default) names a chart
   * after its directory, or by the shortest path suffix telling clashing names apart (`apps-root`); `path` by its
   * whole path joined with `-` (`charts-apps-root`).
   */
  projectNames?: ProjectNaming;
  depsTargetName?: string;
  templateTargetName?: string;
  renderTargetName?: string;
  lintTargetName?: string;
  validateTargetName?: string;
  /** Target of the root-level `workspace` project checking the wiring between charts and clusters. */
  checkTargetName?: string;
  /** Target of the `workspace` project comparing every release's render with the helm command ArgoCD runs. */
  verifyTargetName?: string;
  /** Target of the `workspace` project viewing and changing SOPS secrets. */
  secretsTargetName?: string;
  installTargetName?: string;
  uninstallTargetName?: string;
  diffTargetName?: string;
  statusTargetName?: string;
  /** Target of chart projects installing a pull request's preview copy (`nx run monitoring:preview --pr 42`). */
  previewTargetName?: string;
  bootstrapTargetName?: string;
  /** The chart whose `install` is the cluster bootstrap. Default `system`. */
  bootstrapChart?: string;
  /** Directory of the Ansible playbooks; a `site.yaml` there makes it the `provision` project. Default `provision`. */
  provisionDir?: string;
  provisionCheckTargetName?: string;
  provisionApplyTargetName?: string;
}

export type NormalizedOptions = Required<HomelabPluginOptions>;

/** The workspace layout these options describe (globs and project naming), as the core reads it from nx.json. */
export function pluginLayout(workspaceRoot: string, options: NormalizedOptions): WorkspaceLayout {
  return normalizeLayout(workspaceRoot, { charts: options.chartGlobs, clusters: options.clusterGlobs, projectNames: options.projectNames });
}

export function normalizeOptions(options: HomelabPluginOptions | undefined): NormalizedOptions {
  return {
    chartGlobs: options?.chartGlobs ?? ['charts/*'],
    clusterGlobs: options?.clusterGlobs ?? ['clusters/*'],
    projectNames: options?.projectNames ?? 'basename',
    depsTargetName: options?.depsTargetName ?? 'helm-deps',
    templateTargetName: options?.templateTargetName ?? 'template',
    renderTargetName: options?.renderTargetName ?? 'render',
    lintTargetName: options?.lintTargetName ?? 'lint',
    validateTargetName: options?.validateTargetName ?? 'validate',
    checkTargetName: options?.checkTargetName ?? 'check',
    verifyTargetName: options?.verifyTargetName ?? 'verify',
    secretsTargetName: options?.secretsTargetName ?? 'secrets',
    installTargetName: options?.installTargetName ?? 'install',
    uninstallTargetName: options?.uninstallTargetName ?? 'uninstall',
    diffTargetName: options?.diffTargetName ?? 'diff',
    statusTargetName: options?.statusTargetName ?? 'status',
    previewTargetName: options?.previewTargetName ?? 'preview',
    bootstrapTargetName: options?.bootstrapTargetName ?? 'bootstrap',
    bootstrapChart: options?.bootstrapChart ?? 'system',
    provisionDir: (options?.provisionDir ?? 'provision').replace(/^\.\//, '').replace(/\/+$/, ''),
    provisionCheckTargetName: options?.provisionCheckTargetName ?? 'check',
    provisionApplyTargetName: options?.provisionApplyTargetName ?? 'apply',
  };
}

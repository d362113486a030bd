/** Shared data shapes of the core. Everything here is plain data: no Nx, no processes. */

/** A directory holding a Chart.yaml. `dir` is workspace-relative, POSIX separators. */
export interface Chart {
  name: string;
  dir: string;
  type: 'application' | 'library';
  version: string;
  /** `file://` dependencies, resolved to workspace-relative chart directories. */
  localDependencies: { name: string; dir: string }[];
  /** Whether the chart has any dependency at all (local or remote): it then needs `helm dependency build`. */
  hasDependencies: boolean;
}

/** One entry of an Application's `spec.source.helm.valueFiles`, resolved. */
export interface ValueFile {
  /** As written in the Application (e.g. `secrets://../../secrets.yaml`). */
  raw: string;
  /** Workspace-relative path of the file. */
  path: string;
  /** Written `secrets://…`: SOPS-encrypted, decrypted in memory and piped to helm. */
  secret: boolean;
  /** A file inside an upstream chart (`path` relative to the chart's root), read from the fetched chart. */
  inChart?: boolean;
}

export interface HelmParameter {
  name: string;
  value: string;
  forceString: boolean;
}

/** How ArgoCD deploys one chart once: the one truth every command renders/installs from. */
export interface Release {
  /** Cluster directory name under the clusters root (`home`, `lab`). */
  cluster: string;
  /** Helm release name: `helm.releaseName`, else the Application name. */
  name: string;
  /** Application name ('' when the release comes from the convention, with no Application). */
  application: string;
  origin: 'application' | 'applicationset' | 'app-of-apps' | 'convention';
  /** Workspace-relative manifest files that define this release (an ApplicationSet counts for each chart it generates). */
  definedIn: string[];
  /** Nx project / chart name and its workspace-relative directory. */
  chart: string;
  chartDir: string;
  namespace: string;
  /** ArgoCD AppProject. */
  project: string;
  valueFiles: ValueFile[];
  /** `helm.values` (a YAML string) */
  values?: string;
  /** `helm.valuesObject`; when set, ArgoCD uses it instead of `values`. */
  valuesObject?: unknown;
  parameters: HelmParameter[];
  fileParameters: { name: string; path: string }[];
  ignoreMissingValueFiles: boolean;
  skipCrds: boolean;
  skipSchemaValidation: boolean;
  skipTests: boolean;
  /** `helm.kubeVersion`, else the cluster's declared Kubernetes version. */
  kubeVersion?: string;
  apiVersions: string[];
  /** `argocd.argoproj.io/sync-wave` (0 when absent). */
  wave: number;
  syncPolicy: { automated: boolean; selfHeal: boolean; prune: boolean };
  /**
   * Where the manifests come from when they are not a chart of this workspace (absent: the local chart at
   * `chartDir`). Every kind gets the targets that make sense for it; each renders as ArgoCD's repo-server does.
   */
  source?: ReleaseSource;
}

/** An Application source that is not a local chart. */
export type ReleaseSource =
  /** A chart from a Helm repository (`repoURL` + `chart`) or an OCI registry (`oci://…`), fetched into the chart cache. */
  | { kind: 'upstream'; repoURL: string; chart: string; targetRevision: string }
  /** Plain manifests: ArgoCD's directory source (`path` workspace-relative; include/exclude '' when unset). */
  | { kind: 'directory'; path: string; recurse: boolean; include: string; exclude: string }
  /**
   * A kustomization ArgoCD builds with `kustomize build <path> <buildOptions>`, after applying the Application's
   * `source.kustomize` options; `buildOptions` is the cluster's `kustomizeBuildOptions` (argocd-cm
   * `kustomize.buildOptions`); repoURL and targetRevision are what `${ARGOCD_APP_SOURCE_…}` expand to; `reads` are the
   * workspace-relative directories the build reads besides `path` (local bases, components, inflated charts);
   * `pulls` the `helmCharts` charts kustomize would pull from a repository (`repo:`), rendered from the chart cache.
   */
  | {
      kind: 'kustomize';
      path: string;
      options: Record<string, unknown>;
      buildOptions: string;
      repoURL: string;
      targetRevision: string;
      reads: string[];
      pulls: PulledChart[];
    };

/**
 * A Kustomize `helmCharts` entry with `repo:` whose chart is not in its chart home: kustomize would `helm pull` it into
 * `dir` (`<chartHome>/<name>-<version>/<name>`, or `<chartHome>/<name>` without a version), workspace-relative.
 */
export interface PulledChart {
  dir: string;
  repoURL: string;
  chart: string;
  /** The entry's `version` (helm pull's --version: an exact version or a range; '' for the newest). */
  version: string;
}

/** `clusters/<name>/cluster.yaml`: where a cluster directory deploys to. */
export interface ClusterDeclaration {
  name: string;
  /** Workspace-relative cluster directory. */
  dir: string;
  kubeContext: string;
  server?: string;
  kubeVersion?: string;
  apiVersions: string[];
  /** The options this cluster's ArgoCD adds to every `kustomize build` (argocd-cm `kustomize.buildOptions`, e.g. `--enable-helm`). */
  kustomizeBuildOptions?: string;
  /**
   * Where ArgoCD starts for this cluster when it is not a manifest in the directory (workspace-relative): the resolver
   * then reads these only and follows what they deploy. Absent: every manifest below the directory is read.
   */
  roots?: string[];
}

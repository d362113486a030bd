/**
 * Deprecated and removed Kubernetes API versions.
 *
 * Source: the official "Deprecated API Migration Guide", https://kubernetes.io/docs/reference/using-api/deprecation-guide/
 * ("Removed APIs by release": removedIn, replacement), with deprecatedIn as the API server and kubectl announce it
 * ("<apiVersion> <Kind> is deprecated in v1.X+, unavailable in v1.Y+"). No maintained npm package ships this table.
 * Alpha versions are not listed (they are off by default and may vanish in any release).
 */
interface Lifecycle {
  deprecatedIn: string;
  removedIn?: string;
  /** What to use instead (`policy/v1`, or `apiVersion Kind` when the kind changes); absent without a successor. */
  replacement?: string;
  note?: string;
}

const table = new Map<string, Lifecycle>();
const add = (apiVersion: string, kinds: string[], lifecycle: Omit<Lifecycle, 'replacement'>, replacementApiVersion?: string, replacementKind?: string) => {
  for (const kind of kinds) {
    const replacement = replacementApiVersion && (replacementKind ? `${replacementApiVersion} ${replacementKind}` : replacementApiVersion);
    table.set(`${apiVersion} ${kind}`, { ...lifecycle, ...(replacement ? { replacement } : {}) });
  }
};

// v1.16
add('extensions/v1beta1', ['Deployment', 'DaemonSet', 'ReplicaSet'], { deprecatedIn: '1.9', removedIn: '1.16' }, 'apps/v1');
add('apps/v1beta1', ['Deployment', 'StatefulSet', 'ReplicaSet'], { deprecatedIn: '1.9', removedIn: '1.16' }, 'apps/v1');
add('apps/v1beta2', ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'], { deprecatedIn: '1.9', removedIn: '1.16' }, 'apps/v1');
add('extensions/v1beta1', ['NetworkPolicy'], { deprecatedIn: '1.9', removedIn: '1.16' }, 'networking.k8s.io/v1');
add('extensions/v1beta1', ['PodSecurityPolicy'], { deprecatedIn: '1.10', removedIn: '1.16' }, 'policy/v1beta1');
// v1.22
add(
  'admissionregistration.k8s.io/v1beta1',
  ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'],
  { deprecatedIn: '1.16', removedIn: '1.22' },
  'admissionregistration.k8s.io/v1',
);
add('apiextensions.k8s.io/v1beta1', ['CustomResourceDefinition'], { deprecatedIn: '1.16', removedIn: '1.22' }, 'apiextensions.k8s.io/v1');
add('apiregistration.k8s.io/v1beta1', ['APIService'], { deprecatedIn: '1.19', removedIn: '1.22' }, 'apiregistration.k8s.io/v1');
add('authentication.k8s.io/v1beta1', ['TokenReview'], { deprecatedIn: '1.19', removedIn: '1.22' }, 'authentication.k8s.io/v1');
add(
  'authorization.k8s.io/v1beta1',
  ['SubjectAccessReview', 'LocalSubjectAccessReview', 'SelfSubjectAccessReview'],
  { deprecatedIn: '1.19', removedIn: '1.22' },
  'authorization.k8s.io/v1',
);
add('certificates.k8s.io/v1beta1', ['CertificateSigningRequest'], { deprecatedIn: '1.19', removedIn: '1.22' }, 'certificates.k8s.io/v1');
add('coordination.k8s.io/v1beta1', ['Lease'], { deprecatedIn: '1.19', removedIn: '1.22' }, 'coordination.k8s.io/v1');
add('extensions/v1beta1', ['Ingress'], { deprecatedIn: '1.14', removedIn: '1.22' }, 'networking.k8s.io/v1');
add('networking.k8s.io/v1beta1', ['Ingress', 'IngressClass'], { deprecatedIn: '1.19', removedIn: '1.22' }, 'networking.k8s.io/v1');
add(
  'rbac.authorization.k8s.io/v1beta1',
  ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'],
  { deprecatedIn: '1.17', removedIn: '1.22' },
  'rbac.authorization.k8s.io/v1',
);
add('scheduling.k8s.io/v1beta1', ['PriorityClass'], { deprecatedIn: '1.14', removedIn: '1.22' }, 'scheduling.k8s.io/v1');
add('storage.k8s.io/v1beta1', ['CSIDriver', 'StorageClass', 'VolumeAttachment'], { deprecatedIn: '1.19', removedIn: '1.22' }, 'storage.k8s.io/v1');
add('storage.k8s.io/v1beta1', ['CSINode'], { deprecatedIn: '1.17', removedIn: '1.22' }, 'storage.k8s.io/v1');
// v1.25
add('batch/v1beta1', ['CronJob'], { deprecatedIn: '1.21', removedIn: '1.25' }, 'batch/v1');
add('discovery.k8s.io/v1beta1', ['EndpointSlice'], { deprecatedIn: '1.21', removedIn: '1.25' }, 'discovery.k8s.io/v1');
add('events.k8s.io/v1beta1', ['Event'], { deprecatedIn: '1.22', removedIn: '1.25' }, 'events.k8s.io/v1');
add('autoscaling/v2beta1', ['HorizontalPodAutoscaler'], { deprecatedIn: '1.22', removedIn: '1.25' }, 'autoscaling/v2');
add('policy/v1beta1', ['PodDisruptionBudget'], { deprecatedIn: '1.21', removedIn: '1.25' }, 'policy/v1');
add('policy/v1beta1', ['PodSecurityPolicy'], { deprecatedIn: '1.21', removedIn: '1.25', note: 'use Pod Security Admission' });
add('node.k8s.io/v1beta1', ['RuntimeClass'], { deprecatedIn: '1.22', removedIn: '1.25' }, 'node.k8s.io/v1');
// v1.26
add(
  'flowcontrol.apiserver.k8s.io/v1beta1',
  ['FlowSchema', 'PriorityLevelConfiguration'],
  { deprecatedIn: '1.23', removedIn: '1.26' },
  'flowcontrol.apiserver.k8s.io/v1',
);
add('autoscaling/v2beta2', ['HorizontalPodAutoscaler'], { deprecatedIn: '1.23', removedIn: '1.26' }, 'autoscaling/v2');
// v1.27
add('storage.k8s.io/v1beta1', ['CSIStorageCapacity'], { deprecatedIn: '1.24', removedIn: '1.27' }, 'storage.k8s.io/v1');
// v1.29
add(
  'flowcontrol.apiserver.k8s.io/v1beta2',
  ['FlowSchema', 'PriorityLevelConfiguration'],
  { deprecatedIn: '1.26', removedIn: '1.29' },
  'flowcontrol.apiserver.k8s.io/v1',
);
// v1.32
add(
  'flowcontrol.apiserver.k8s.io/v1beta3',
  ['FlowSchema', 'PriorityLevelConfiguration'],
  { deprecatedIn: '1.29', removedIn: '1.32' },
  'flowcontrol.apiserver.k8s.io/v1',
);
// Deprecated, still served.
add('v1', ['Endpoints'], { deprecatedIn: '1.33' }, 'discovery.k8s.io/v1', 'EndpointSlice');

/** `1.33.0`, `v1.33`, `1.33.2-k3s1` → [1, 33]; undefined when not a Kubernetes version. */
export function parseKubeVersion(version: string): [number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

const atLeast = (version: [number, number], release: string) => {
  const [major, minor] = parseKubeVersion(release)!;
  return version[0] > major || (version[0] === major && version[1] >= minor);
};

export interface ApiVersionStatus {
  state: 'removed' | 'deprecated';
  message: string;
}

/** Whether `apiVersion`/`kind` is removed or deprecated in the given Kubernetes version; undefined when fine. */
export function apiVersionStatus(apiVersion: string, kind: string, kubeVersion: [number, number]): ApiVersionStatus | undefined {
  const entry = table.get(`${apiVersion} ${kind}`);
  if (!entry || !atLeast(kubeVersion, entry.deprecatedIn)) return undefined;
  const advice = entry.replacement ? `use ${entry.replacement}` : (entry.note ?? 'no replacement');
  if (entry.removedIn && atLeast(kubeVersion, entry.removedIn)) {
    return { state: 'removed', message: `${apiVersion} ${kind} removed in ${entry.removedIn} — ${advice}` };
  }
  const removal = entry.removedIn ? `, removed in ${entry.removedIn}` : '';
  return { state: 'deprecated', message: `${apiVersion} ${kind} deprecated in ${entry.deprecatedIn}${removal} — ${advice}` };
}

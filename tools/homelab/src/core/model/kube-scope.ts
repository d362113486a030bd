/**
 * Where a command acts on a cluster: the kube-context it names explicitly (never the kubeconfig's current one) and
 * the namespace. The cluster guard decides both; the helm argv builders only print them.
 */
export interface KubeScope {
  context: string;
  namespace: string;
}

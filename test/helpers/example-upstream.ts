// Stand-ins for the example's upstream charts (ArgoCD itself, cert-manager): the Applications name the real public
// repositories, which tests never contact. These small charts, under the same names and versions, fill the chart cache
// from a loopback repository as `hack/charts pull` would.
import { prefillChartCache } from './chart-repo.ts';

export const ARGO_CD: Record<string, string> = {
  'Chart.yaml': 'apiVersion: v2\nname: argo-cd\nversion: 8.5.8\n',
  'templates/cm.yaml': [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: argocd-cm',
    '  namespace: {{ .Release.Namespace }}',
    '  labels:',
    '    app.kubernetes.io/instance: {{ .Release.Name }}',
    'data:',
    '  url: https://{{ .Values.global.domain }}',
    '{{- range $key, $value := .Values.configs.cm }}',
    '  {{ $key }}: {{ $value | toString | quote }}',
    '{{- end }}',
    '  dex: {{ .Values.dex.enabled | quote }}',
    '',
  ].join('\n'),
};

export const CERT_MANAGER: Record<string, string> = {
  'Chart.yaml': 'apiVersion: v2\nname: cert-manager\nversion: v1.18.2\n',
  'values.yaml': 'crds:\n  enabled: false\nprometheus:\n  enabled: false\n',
  'templates/crds.yaml': [
    '{{- if .Values.crds.enabled }}',
    'apiVersion: apiextensions.k8s.io/v1',
    'kind: CustomResourceDefinition',
    'metadata:',
    '  name: certificates.cert-manager.io',
    'spec:',
    '  group: cert-manager.io',
    '  names: {kind: Certificate, plural: certificates, singular: certificate, listKind: CertificateList}',
    '  scope: Namespaced',
    '  versions:',
    '    - name: v1',
    '      served: true',
    '      storage: true',
    '      schema:',
    '        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}',
    '{{- end }}',
    '',
  ].join('\n'),
  'templates/deployment.yaml': [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: {{ .Release.Name }}',
    '  namespace: {{ .Release.Namespace }}',
    '  annotations:',
    '    prometheus: {{ .Values.prometheus.enabled | quote }}',
    '    kube: {{ .Capabilities.KubeVersion.Version | quote }}',
    'spec:',
    '  selector:',
    '    matchLabels:',
    '      app: {{ .Release.Name }}',
    '  template:',
    '    metadata:',
    '      labels:',
    '        app: {{ .Release.Name }}',
    '    spec:',
    '      containers:',
    '        - name: controller',
    '          image: quay.io/jetstack/cert-manager-controller:v1.18.2',
    '',
  ].join('\n'),
};

/** Puts both stand-ins into the chart cache `env` names (XDG_CACHE_HOME), under the example's coordinates. */
export async function prefillExampleCharts(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await prefillChartCache({ repoURL: 'https://argoproj.github.io/argo-helm', chart: 'argo-cd', revision: '8.5.8' }, ARGO_CD, env);
  await prefillChartCache({ repoURL: 'https://charts.jetstack.io', chart: 'cert-manager', revision: 'v1.18.2' }, CERT_MANAGER, env);
}

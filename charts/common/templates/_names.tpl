{{/*
Names and labels.

Every template of this library takes ONE dict argument, so that a chart can say which component
(sonarr, grafana, ...) it is rendering:

  root  (required) the chart's root context: pass `$`
  name  (optional) the component name; objects are named after it. When empty, the chart's
                   fullname is used (single-workload charts such as jellyfin).
*/}}

{{/*
common.name: the chart's short name (`nameOverride` wins), cut to a 63-character DNS label.
  {{ include "common.name" (dict "root" $) }}
*/}}
{{- define "common.name" -}}
{{- default .root.Chart.Name .root.Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
common.fullname: `fullnameOverride`, else the release name when it already contains the chart
name (ArgoCD names the release after the Application, which is the chart name here), else
"<release>-<chart>".
  {{ include "common.fullname" (dict "root" $) }}
*/}}
{{- define "common.fullname" -}}
{{- $root := .root -}}
{{- if $root.Values.fullnameOverride -}}
{{- $root.Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "common.name" . -}}
{{- if contains $name $root.Release.Name -}}
{{- $root.Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" $root.Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
common.objectName: the name of a component's objects: `name` when given, else the fullname.
Short names keep in-cluster DNS readable: sonarr.arr.svc, grafana.monitoring.svc.
  {{ include "common.objectName" (dict "root" $ "name" "grafana") }}
*/}}
{{- define "common.objectName" -}}
{{- if .name -}}
{{- .name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- include "common.fullname" . -}}
{{- end -}}
{{- end -}}

{{/*
common.resourceName: objectName plus an optional `suffix` ("-config", "-admin"), for the second
and third object of one kind a component owns. Labels still name the component.
  {{ include "common.resourceName" (dict "root" $ "name" "prometheus" "suffix" "config") }} -> prometheus-config
*/}}
{{- define "common.resourceName" -}}
{{- $base := include "common.objectName" . -}}
{{- if .suffix -}}
{{- printf "%s-%s" $base .suffix | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $base -}}
{{- end -}}
{{- end -}}

{{/*
common.namespace: `namespace` when given (objects that must live elsewhere, e.g. ArgoCD's
repository Secret in `argocd`), else the release namespace (= the chart name in this repo).
*/}}
{{- define "common.namespace" -}}
{{- default .root.Release.Namespace .namespace -}}
{{- end -}}

{{/*
common.selectorLabels: the labels a Service or a workload selects pods by. Never add labels that
change over time here: a Deployment's selector is immutable.
*/}}
{{- define "common.selectorLabels" -}}
app.kubernetes.io/name: {{ include "common.objectName" . }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/*
common.labels: the standard labels for every object's metadata.labels. Optional `version` (an
image tag, for instance) becomes app.kubernetes.io/version.
*/}}
{{- define "common.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "common.selectorLabels" . }}
app.kubernetes.io/part-of: {{ .root.Chart.Name }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- with .version }}
app.kubernetes.io/version: {{ . | toString | trunc 63 | trimSuffix "-" | quote }}
{{- end }}
{{- end -}}

{{/*
common.metadata: a full `metadata:` body (name, namespace, labels, optional `labels` and
`annotations` maps) for every object; `suffix` and `namespace` work as above, and
`clusterScoped: true` leaves the namespace out (Namespace, PriorityClass, ClusterRole...).
  metadata:
    {{- include "common.metadata" (dict "root" $ "name" "prometheus" "annotations" $a) | nindent 2 }}
*/}}
{{- define "common.metadata" -}}
name: {{ include "common.resourceName" . }}
{{- if not .clusterScoped }}
namespace: {{ include "common.namespace" . }}
{{- end }}
labels:
  {{- include "common.labels" . | nindent 2 }}
  {{- with .labels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- with .annotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

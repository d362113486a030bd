{{/*
common.pvc: a PersistentVolumeClaim.

  {{- include "common.pvc" (dict "root" $ "name" "jellyfin" "suffix" "config"
        "volume" (dict "size" "10Gi")) }}

`volume` (one entry of a workload's `persistence` map, see _workload.tpl):
  size          requested size (default 1Gi)
  accessMode    default ReadWriteOnce
  storageClass  default .Values.global.storageClass; empty = the cluster's default class;
                "-" = storageClassName "" (bind to a pre-created PersistentVolume)
  retain        default true: ArgoCD neither prunes the claim nor deletes it with its Application
                (Prune=false,Delete=false) and Helm keeps it on uninstall, so removing an app
                from git does not delete its data
  annotations   extra annotations
*/}}
{{- define "common.pvc" -}}
{{- $v := .volume | default dict -}}
{{- $annotations := deepCopy ($v.annotations | default dict) -}}
{{- if ne (toString $v.retain) "false" -}}
{{- $_ := set $annotations "argocd.argoproj.io/sync-options" "Prune=false,Delete=false" -}}
{{- $_ := set $annotations "helm.sh/resource-policy" "keep" -}}
{{- end -}}
{{- $globals := .root.Values.global | default dict -}}
{{- $class := $v.storageClass | default $globals.storageClass -}}
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  {{- include "common.metadata" (merge (dict "annotations" $annotations) .) | nindent 2 }}
spec:
  accessModes:
    - {{ $v.accessMode | default "ReadWriteOnce" }}
  {{- if eq (toString $class) "-" }}
  storageClassName: ""
  {{- else if $class }}
  storageClassName: {{ $class | quote }}
  {{- end }}
  resources:
    requests:
      storage: {{ $v.size | default "1Gi" | quote }}
{{- end -}}

{{/*
common.secret: a Secret whose stringData comes from a values map. This is how values from the
repo-root secrets.yaml (SOPS, passed to every chart as a value file) reach the cluster.

  {{- include "common.secret" (dict "root" $ "name" "grafana" "suffix" "admin"
        "data" (dict "GF_SECURITY_ADMIN_PASSWORD" .Values.monitoring.grafana.adminPassword)) }}

Arguments (besides root/name/suffix/namespace/labels/annotations, see _names.tpl):
  data  map of key -> value. Strings are written as they are; numbers and booleans as their text
        ("587", "true"); maps and lists as YAML text (a whole config file, for instance); null
        becomes "". Keys come out sorted, so renders are stable.
  type  Secret type (default Opaque).

Safe by default: the chart's values.yaml carries empty defaults, so without secrets.yaml the
Secret still renders, with empty strings. A chart that would rather render nothing then wraps
the include in `if`.
*/}}
{{- define "common.secret" -}}
apiVersion: v1
kind: Secret
metadata:
  {{- include "common.metadata" . | nindent 2 }}
type: {{ .type | default "Opaque" }}
{{- if .data }}
stringData:
  {{- range $key, $value := .data }}
  {{ $key | toJson }}: {{ include "common.string" $value }}
  {{- end }}
{{- else }}
stringData: {}
{{- end }}
{{- end -}}

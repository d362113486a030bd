{{/*
common.ingress: an Ingress for a component's Service.

  {{- include "common.ingress" (dict "root" $ "name" "grafana" "values" .Values.grafana) }}

From `values.ingress` (falls back to .Values.global.ingress, then to the defaults shown):
  enabled      render only when true
  host         a full host name ("tv.example.org"), or a bare label ("sonarr") that gets
               ".<global.domain>" appended; default: the object name
  className    ingressClassName (default global.ingress.className; empty = cluster default)
  annotations  merged over global.ingress.annotations (e.g. cert-manager's cluster-issuer)
  path         default "/" (pathType Prefix)
  servicePort  the Service port name or number to route to (default "http")
  serviceName  the Service to route to (default the object name); with `namespace` this lets a
               chart publish a Service it does not own (the gitops chart does it for ArgoCD)
  tls          enabled (default global.ingress.tls.enabled, else true) and secretName
               (default global.ingress.tls.secretName, else "<host with dots as dashes>-tls")
*/}}
{{- define "common.ingress" -}}
{{- $v := .values | default dict -}}
{{- $ing := $v.ingress | default dict -}}
{{- $globals := .root.Values.global | default dict -}}
{{- $gIng := $globals.ingress | default dict -}}
{{- $gTls := $gIng.tls | default dict -}}
{{- $tls := $ing.tls | default dict -}}
{{- $name := include "common.objectName" . -}}
{{- $host := include "common.host" (dict "root" .root "host" ($ing.host | default $name)) -}}
{{- $annotations := merge (deepCopy ($ing.annotations | default dict)) ($gIng.annotations | default dict) -}}
{{- $tlsEnabled := true -}}
{{- if hasKey $tls "enabled" }}{{ $tlsEnabled = $tls.enabled }}{{ else if hasKey $gTls "enabled" }}{{ $tlsEnabled = $gTls.enabled }}{{ end -}}
{{- $className := $ing.className | default $gIng.className -}}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  {{- include "common.metadata" (merge (dict "annotations" $annotations) .) | nindent 2 }}
spec:
  {{- with $className }}
  ingressClassName: {{ . }}
  {{- end }}
  {{- if $tlsEnabled }}
  tls:
    - hosts:
        - {{ $host | quote }}
      secretName: {{ $tls.secretName | default $gTls.secretName | default (printf "%s-tls" ($host | replace "." "-")) }}
  {{- end }}
  rules:
    - host: {{ $host | quote }}
      http:
        paths:
          - path: {{ $ing.path | default "/" }}
            pathType: Prefix
            backend:
              service:
                name: {{ $ing.serviceName | default $name }}
                port:
                  {{- $port := $ing.servicePort | default "http" }}
                  {{- if kindIs "string" $port }}
                  name: {{ $port }}
                  {{- else }}
                  number: {{ int $port }}
                  {{- end }}
{{- end -}}

{{/*
common.host: "sonarr" -> "sonarr.<global.domain>"; a name with a dot is kept as it is.
  {{ include "common.host" (dict "root" $ "host" "sonarr") }}
*/}}
{{- define "common.host" -}}
{{- $globals := .root.Values.global | default dict -}}
{{- if or (contains "." .host) (not $globals.domain) -}}
{{- .host -}}
{{- else -}}
{{- printf "%s.%s" .host $globals.domain -}}
{{- end -}}
{{- end -}}

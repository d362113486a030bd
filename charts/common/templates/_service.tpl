{{/*
common.service: a Service in front of a workload's pods.

  {{- include "common.service" (dict "root" $ "name" "sonarr" "values" .Values.sonarr) }}

From `values`:
  ports    the workload's ports (see _workload.tpl). Each becomes a service port with the same
           name; `servicePort` changes the port the Service listens on (DNS: 53 -> 5353).
  service  optional settings:
             type                   ClusterIP (default), NodePort or LoadBalancer
             annotations            e.g. MetalLB's metallb.universe.tf/loadBalancerIPs
             externalTrafficPolicy  Local keeps client source IPs (LoadBalancer/NodePort)
             headless               true: clusterIP None (StatefulSet peer discovery)
*/}}
{{- define "common.service" -}}
{{- $v := .values | default dict -}}
{{- $svc := $v.service | default dict -}}
apiVersion: v1
kind: Service
metadata:
  {{- include "common.metadata" (merge (dict "annotations" $svc.annotations) .) | nindent 2 }}
spec:
  type: {{ $svc.type | default "ClusterIP" }}
  {{- if $svc.headless }}
  clusterIP: None
  {{- end }}
  {{- with $svc.externalTrafficPolicy }}
  externalTrafficPolicy: {{ . }}
  {{- end }}
  selector:
    {{- include "common.selectorLabels" . | nindent 4 }}
  ports:
    {{- range $portName, $port := required (printf "%s: a Service needs at least one entry in ports" (include "common.objectName" .)) $v.ports }}
    {{- $p := include "common.port" $port | fromYaml }}
    - name: {{ $portName }}
      port: {{ $p.servicePort | default $p.port }}
      targetPort: {{ $portName }}
      protocol: {{ $p.protocol | default "TCP" }}
    {{- end }}
{{- end -}}

{{/*
common.port: normalises one `ports` entry. `http: 8989` is short for `http: {port: 8989}`.
Returns YAML; read it back with fromYaml.
*/}}
{{- define "common.port" -}}
{{- if kindIs "map" . -}}
{{- toYaml . -}}
{{- else -}}
port: {{ . }}
{{- end -}}
{{- end -}}

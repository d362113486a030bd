{{/* monitoring.url: the public https URL of a component's ingress, for --web.external-url. */}}
{{- define "monitoring.url" -}}
https://{{ include "common.host" (dict "root" .root "host" .values.ingress.host) }}
{{- end -}}

{{/* monitoring.prometheusConfig: prometheus.yml. Targets are Services of this namespace. */}}
{{- define "monitoring.prometheusConfig" -}}
global:
  scrape_interval: {{ .Values.prometheus.scrapeInterval }}
  evaluation_interval: {{ .Values.prometheus.scrapeInterval }}
rule_files:
  - /etc/prometheus/rules.yml
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["alertmanager:{{ .Values.alertmanager.ports.http }}"]
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["localhost:{{ .Values.prometheus.ports.http }}"]
  - job_name: alertmanager
    static_configs:
      - targets: ["alertmanager:{{ .Values.alertmanager.ports.http }}"]
  - job_name: grafana
    static_configs:
      - targets: ["grafana:{{ .Values.grafana.ports.http }}"]
  # Any pod in the cluster annotated prometheus.io/scrape: "true" (and optionally
  # prometheus.io/port, prometheus.io/path) is scraped.
  - job_name: kubernetes-pods
    kubernetes_sd_configs:
      - role: pod
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
        action: keep
        regex: "true"
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path]
        action: replace
        target_label: __metrics_path__
        regex: (.+)
      - source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port]
        action: replace
        regex: ([^:]+)(?::\d+)?;(\d+)
        replacement: $1:$2
        target_label: __address__
      - source_labels: [__meta_kubernetes_namespace]
        target_label: namespace
      - source_labels: [__meta_kubernetes_pod_name]
        target_label: pod
{{- end -}}

{{/*
monitoring.alertmanagerConfig: alertmanager.yml. It holds no secret: the SMTP password and the
webhook URL are files from the alertmanager-secrets Secret (mounted at /etc/alertmanager/secrets),
which the kubelet refreshes on rotation. Only *whether* they are set shapes this file.
*/}}
{{- define "monitoring.alertmanagerConfig" -}}
{{- $s := .Values.monitoring.alertmanager -}}
{{- $smtp := $s.smtp | default dict -}}
global:
  resolve_timeout: 5m
  {{- if $smtp.host }}
  smtp_smarthost: {{ printf "%s:%d" $smtp.host (int $smtp.port) | toJson }}
  smtp_from: {{ $smtp.from | default (printf "alertmanager@%s" (.Values.global.domain | default "localhost")) | toJson }}
  {{- with $smtp.username }}
  smtp_auth_username: {{ . | toJson }}
  {{- end }}
  {{- if $smtp.password }}
  smtp_auth_password_file: /etc/alertmanager/secrets/smtp-password
  {{- end }}
  smtp_require_tls: {{ ne (toString $smtp.requireTls) "false" }}
  {{- end }}
route:
  receiver: default
  group_by: [alertname, namespace]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 12h
receivers:
  - name: default
    {{- if $s.webhookUrl }}
    webhook_configs:
      - url_file: /etc/alertmanager/secrets/webhook-url
        send_resolved: true
    {{- end }}
    {{- if and $smtp.host $s.emailTo }}
    email_configs:
      {{- range $s.emailTo }}
      - to: {{ . | toJson }}
        send_resolved: true
      {{- end }}
    {{- end }}
{{- end -}}

{{/* monitoring.grafanaDatasources: Grafana's provisioned data sources. */}}
{{- define "monitoring.grafanaDatasources" -}}
apiVersion: 1
datasources:
  - name: Prometheus
    uid: prometheus
    type: prometheus
    access: proxy
    url: http://prometheus:{{ .Values.prometheus.ports.http }}
    isDefault: true
  - name: Alertmanager
    uid: alertmanager
    type: alertmanager
    access: proxy
    url: http://alertmanager:{{ .Values.alertmanager.ports.http }}
    jsonData:
      implementation: prometheus
{{- end -}}

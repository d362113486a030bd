{{/*
Workloads: common.app, common.workload, common.podTemplate.

  {{- include "common.app" (dict "root" $ "name" "sonarr" "values" .Values.sonarr) }}

common.app renders everything one component needs: the workload, a PVC for each `pvc` volume
(unless it names an existingClaim), a Service when it has ports, an Ingress when
ingress.enabled. Call the single templates (common.workload, common.pvc, common.service,
common.ingress, common.secret) when a chart needs something in between.

Arguments: root, name (see _names.tpl), values (below), and optionally
  podAnnotations  map added to the pod template, typically a checksum of the component's
                  ConfigMap so that pods restart when it changes (never of a Secret: a hash
                  of a weak password in a readable annotation is a leak):
                  (dict "checksum/config" (include "mychart.config" $ | sha256sum))
  restartPolicy   for pods of Jobs/CronJobs (common.podTemplate only)

`values` (one component's block of values.yaml):
  kind          Deployment (default) or StatefulSet
  replicas      default 1
  image         repository, tag (required; quote it: "2.0" is a string, 2.0 a number), digest,
                pullPolicy (default IfNotPresent)
  command, args lists
  env           map NAME -> value (any type, written as a string) or NAME -> {valueFrom: ...}.
                TZ is added from global.timezone unless set here.
  envFrom       list, as in a container spec ([{secretRef: {name: grafana-admin}}])
  ports         map name -> port: `http: 8989`, or {port, protocol (TCP), servicePort}
  healthCheck   {path: /ping, port: http} -> httpGet startup, liveness and readiness probes;
                {tcp: true, port: dns-tcp} -> tcpSocket probes
  probes        {startup|liveness|readiness: <probe spec>}: replaces that generated probe;
                `false` removes it
  resources     default: requests cpu 10m, memory 64Mi (no limits: a homelab overcommits)
  persistence   map volume name -> volume:
                  enabled       default true
                  type          pvc (default), emptyDir, nfs, hostPath, configMap, secret
                  mountPath     where the container sees it (required); subPath, readOnly
                  globalVolume  name of a volume under .Values.global to start from, e.g.
                                "media": one NAS share declared once in global.yaml
                  pvc:       size, accessMode, storageClass, retain, existingClaim (see _pvc.tpl)
                  emptyDir:  medium, sizeLimit
                  nfs:       server, path
                  hostPath:  path, hostPathType
                  configMap / secret: name (default the object name), items, defaultMode
  podSecurityContext, securityContext
                merged over restricted-profile defaults: non-root uid/gid 1000, fsGroup 1000,
                seccomp RuntimeDefault, no privilege escalation, all capabilities dropped,
                read-only root filesystem (mount an emptyDir where an app must write)
  strategy      Deployment strategy; default Recreate when a ReadWriteOnce claim is mounted
                (two pods cannot share it during a rolling update), else RollingUpdate
  priorityClassName, nodeSelector, tolerations, affinity, serviceAccountName,
  automountServiceAccountToken (default false), podLabels, podAnnotations
  service, ingress  see _service.tpl and _ingress.tpl
*/}}

{{- define "common.app" -}}
{{- $v := .values | default dict -}}
{{ include "common.workload" . }}
{{- range $volumeName, $volume := include "common.volumes" . | fromYaml }}
{{- if and (eq ($volume.type | default "pvc") "pvc") (not $volume.existingClaim) }}
---
{{ include "common.pvc" (dict "root" $.root "name" $.name "suffix" $volumeName "volume" $volume) }}
{{- end }}
{{- end }}
{{- if $v.ports }}
---
{{ include "common.service" . }}
{{- end }}
{{- if ($v.ingress | default dict).enabled }}
---
{{ include "common.ingress" . }}
{{- end }}
{{- end -}}

{{- define "common.workload" -}}
{{- $v := .values | default dict -}}
{{- $kind := $v.kind | default "Deployment" -}}
{{- $name := include "common.objectName" . -}}
{{- if not (has $kind (list "Deployment" "StatefulSet")) -}}
{{- fail (printf "%s: kind must be Deployment or StatefulSet, not %q" $name $kind) -}}
{{- end -}}
{{- $rwoClaim := false -}}
{{- range $volume := include "common.volumes" . | fromYaml -}}
{{- if and (eq ($volume.type | default "pvc") "pvc") (ne ($volume.accessMode | default "ReadWriteOnce") "ReadWriteMany") -}}
{{- $rwoClaim = true -}}
{{- end -}}
{{- end -}}
apiVersion: apps/v1
kind: {{ $kind }}
metadata:
  {{- include "common.metadata" (merge (dict "version" ($v.image | default dict).tag) .) | nindent 2 }}
spec:
  replicas: {{ hasKey $v "replicas" | ternary $v.replicas 1 | int }}
  revisionHistoryLimit: 3
  {{- if eq $kind "StatefulSet" }}
  serviceName: {{ $name }}
  {{- else if $v.strategy }}
  strategy:
    {{- toYaml $v.strategy | nindent 4 }}
  {{- else }}
  strategy:
    type: {{ $rwoClaim | ternary "Recreate" "RollingUpdate" }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "common.selectorLabels" . | nindent 6 }}
  template:
    {{- include "common.podTemplate" . | nindent 4 }}
{{- end -}}

{{- define "common.podTemplate" -}}
{{- $root := .root -}}
{{- $v := .values | default dict -}}
{{- $name := include "common.objectName" . -}}
{{- $globals := $root.Values.global | default dict -}}
{{- $volumes := include "common.volumes" . | fromYaml -}}
{{- $podAnnotations := merge (dict) (.podAnnotations | default dict) ($v.podAnnotations | default dict) -}}
{{- $podSecurity := mergeOverwrite (dict "runAsNonRoot" true "runAsUser" 1000 "runAsGroup" 1000 "fsGroup" 1000 "fsGroupChangePolicy" "OnRootMismatch" "seccompProfile" (dict "type" "RuntimeDefault")) (deepCopy ($v.podSecurityContext | default dict)) -}}
{{- $security := mergeOverwrite (dict "allowPrivilegeEscalation" false "readOnlyRootFilesystem" true "capabilities" (dict "drop" (list "ALL"))) (deepCopy ($v.securityContext | default dict)) -}}
{{- $env := dict -}}
{{- with $globals.timezone }}{{ $_ := set $env "TZ" . }}{{ end -}}
{{- $env = mergeOverwrite $env (deepCopy ($v.env | default dict)) -}}
{{- $probes := include "common.probes" $v | fromYaml -}}
metadata:
  labels:
    {{- include "common.selectorLabels" . | nindent 4 }}
    {{- with $v.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with $podAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  {{- with $v.serviceAccountName }}
  serviceAccountName: {{ . }}
  {{- end }}
  automountServiceAccountToken: {{ $v.automountServiceAccountToken | default false }}
  {{- /* no docker-link style env vars for every Service of the namespace */}}
  enableServiceLinks: false
  {{- with $v.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  {{- with .restartPolicy }}
  restartPolicy: {{ . }}
  {{- end }}
  securityContext:
    {{- toYaml $podSecurity | nindent 4 }}
  {{- with $v.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: {{ $name }}
      image: {{ include "common.image" (dict "name" $name "image" $v.image) }}
      imagePullPolicy: {{ ($v.image | default dict).pullPolicy | default "IfNotPresent" }}
      {{- with $v.command }}
      command:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.args }}
      args:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $env }}
      env:
        {{- range $key, $value := . }}
        - name: {{ $key }}
          {{- if kindIs "map" $value }}
          {{- toYaml $value | nindent 10 }}
          {{- else }}
          value: {{ include "common.string" $value }}
          {{- end }}
        {{- end }}
      {{- end }}
      {{- with $v.envFrom }}
      envFrom:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.ports }}
      ports:
        {{- range $portName, $port := . }}
        {{- $p := include "common.port" $port | fromYaml }}
        - name: {{ $portName }}
          containerPort: {{ $p.port | int }}
          protocol: {{ $p.protocol | default "TCP" }}
        {{- end }}
      {{- end }}
      {{- range $probe := list "startup" "liveness" "readiness" }}
      {{- with get $probes $probe }}
      {{ $probe }}Probe:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- end }}
      resources:
        {{- toYaml ($v.resources | default (dict "requests" (dict "cpu" "10m" "memory" "64Mi"))) | nindent 8 }}
      securityContext:
        {{- toYaml $security | nindent 8 }}
      {{- with $volumes }}
      volumeMounts:
        {{- range $volumeName, $volume := . }}
        - name: {{ $volumeName }}
          mountPath: {{ required (printf "%s: persistence.%s.mountPath is required" $name $volumeName) $volume.mountPath }}
          {{- with $volume.subPath }}
          subPath: {{ . }}
          {{- end }}
          {{- if $volume.readOnly }}
          readOnly: true
          {{- end }}
        {{- end }}
      {{- end }}
  {{- with $volumes }}
  volumes:
    {{- range $volumeName, $volume := . }}
    - name: {{ $volumeName }}
      {{- include "common.volumeSource" (dict "root" $root "name" $.name "volumeName" $volumeName "volume" $volume) | nindent 6 }}
    {{- end }}
  {{- end }}
{{- end -}}

{{/*
common.volumes: a component's enabled `persistence` entries, with globalVolume resolved.
Returns YAML (a map); read it back with fromYaml.
*/}}
{{- define "common.volumes" -}}
{{- $globals := .root.Values.global | default dict -}}
{{- $name := include "common.objectName" . -}}
{{- $out := dict -}}
{{- range $volumeName, $volume := ((.values | default dict).persistence | default dict) -}}
{{- $resolved := deepCopy ($volume | default dict) -}}
{{- if ne (toString $resolved.enabled) "false" -}}
{{- with $resolved.globalVolume -}}
{{- $shared := required (printf "%s: persistence.%s.globalVolume %q is not set under global" $name $volumeName .) (index $globals .) -}}
{{- $resolved = mergeOverwrite (deepCopy $shared) $resolved -}}
{{- end -}}
{{- $_ := set $out $volumeName $resolved -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/* common.volumeSource: the source half of one pod volume (see `persistence` above). */}}
{{- define "common.volumeSource" -}}
{{- $v := .volume -}}
{{- $type := $v.type | default "pvc" -}}
{{- $owner := include "common.objectName" . -}}
{{- if eq $type "pvc" -}}
persistentVolumeClaim:
  claimName: {{ $v.existingClaim | default (include "common.resourceName" (dict "root" .root "name" .name "suffix" .volumeName)) }}
{{- else if eq $type "emptyDir" -}}
{{- if or $v.medium $v.sizeLimit -}}
emptyDir:
  {{- with $v.medium }}
  medium: {{ . }}
  {{- end }}
  {{- with $v.sizeLimit }}
  sizeLimit: {{ . }}
  {{- end }}
{{- else -}}
emptyDir: {}
{{- end -}}
{{- else if eq $type "nfs" -}}
nfs:
  server: {{ required (printf "%s: persistence.%s.server (NFS) is required" $owner .volumeName) $v.server }}
  path: {{ required (printf "%s: persistence.%s.path (NFS) is required" $owner .volumeName) $v.path }}
{{- else if eq $type "hostPath" -}}
hostPath:
  path: {{ required (printf "%s: persistence.%s.path (hostPath) is required" $owner .volumeName) $v.path }}
  {{- with $v.hostPathType }}
  type: {{ . }}
  {{- end }}
{{- else if or (eq $type "configMap") (eq $type "secret") -}}
{{ $type }}:
  {{ eq $type "secret" | ternary "secretName" "name" }}: {{ $v.name | default $owner }}
  {{- with $v.items }}
  items:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.defaultMode }}
  defaultMode: {{ int . }}
  {{- end }}
{{- else -}}
{{- fail (printf "%s: persistence.%s.type %q is not one of pvc, emptyDir, nfs, hostPath, configMap, secret" $owner .volumeName $type) -}}
{{- end -}}
{{- end -}}

{{/*
common.probes: startup/liveness/readiness probes from `healthCheck`, then `probes` replacing
single ones. Returns YAML (a map); read it back with fromYaml.
*/}}
{{- define "common.probes" -}}
{{- $probes := dict -}}
{{- with .healthCheck -}}
{{- $port := .port | default "http" -}}
{{- $action := dict "httpGet" (dict "path" (.path | default "/") "port" $port) -}}
{{- if .tcp -}}
{{- $action = dict "tcpSocket" (dict "port" $port) -}}
{{- end -}}
{{- /* startup gives slow first starts (database migrations) up to 5 minutes */ -}}
{{- $_ := set $probes "startup" (merge (dict "periodSeconds" 5 "failureThreshold" 60 "timeoutSeconds" 3) (deepCopy $action)) -}}
{{- $_ := set $probes "liveness" (merge (dict "periodSeconds" 30 "failureThreshold" 3 "timeoutSeconds" 5) (deepCopy $action)) -}}
{{- $_ := set $probes "readiness" (merge (dict "periodSeconds" 10 "failureThreshold" 3 "timeoutSeconds" 3) (deepCopy $action)) -}}
{{- end -}}
{{- range $probe, $spec := (.probes | default dict) -}}
{{- $_ := set $probes $probe $spec -}}
{{- end -}}
{{- toYaml $probes -}}
{{- end -}}

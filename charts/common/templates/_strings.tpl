{{/*
common.string: any value as a quoted YAML string, for Secret stringData and env values.
Strings stay as they are; numbers and booleans become their text; maps and lists become YAML
text; null becomes "". Helm reads every YAML number as float64: whole numbers are printed as
integers (1000000, not 1e+06).
  value: {{ include "common.string" .Values.something }}
*/}}
{{- define "common.string" -}}
{{- if or (kindIs "map" .) (kindIs "slice" .) -}}
{{- toYaml . | toJson -}}
{{- else if kindIs "invalid" . -}}
""
{{- else if kindIs "string" . -}}
{{- toJson . -}}
{{- else if and (kindIs "float64" .) (eq . (floor .)) -}}
{{- int64 . | toString | toJson -}}
{{- else -}}
{{- toString . | toJson -}}
{{- end -}}
{{- end -}}

{{/*
common.image: "repository:tag" (or "repository:tag@digest"). The tag is required: pinned images
are what Renovate updates, and "latest" would make renders lie about what runs.
  image: {{ include "common.image" (dict "name" "sonarr" "image" .Values.sonarr.image) }}
*/}}
{{- define "common.image" -}}
{{- $image := .image | default dict -}}
{{- $repository := required (printf "%s: image.repository is required" .name) $image.repository -}}
{{- $tag := required (printf "%s: image.tag is required (pin a version)" .name) $image.tag | toString -}}
{{- if $image.digest -}}
{{- printf "%s:%s@%s" $repository $tag $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repository $tag -}}
{{- end -}}
{{- end -}}

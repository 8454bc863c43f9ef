{{- define "redis.fullname" -}}{{ printf "%s-redis" .Release.Name | trunc 57 | trimSuffix "-" }}{{- end -}}
{{- define "redis.selectorLabels" -}}
app.kubernetes.io/name: redis
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: master
{{- end -}}
{{- define "redis.labels" -}}
{{ include "redis.selectorLabels" . }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}
{{- define "redis.image" -}}
{{- $i := .Values.image -}}
{{- printf "%s/%s:%s" $i.registry $i.repository $i.tag -}}{{- if $i.digest }}@{{ $i.digest }}{{- end -}}
{{- end -}}

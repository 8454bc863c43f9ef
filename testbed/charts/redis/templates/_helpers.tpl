{{- define "redis.fullname" -}}{{ printf "%s-redis" .Release.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- define "redis.labels" -}}
app.kubernetes.io/name: redis
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: master
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

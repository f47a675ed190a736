{{- define "kg.name" -}}{{ .Release.Name | trunc 40 | trimSuffix "-" }}{{- end -}}

{{- define "kg.labels" -}}
app.kubernetes.io/part-of: kafka-gateway
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{- define "kg.selector" -}}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/name: {{ .app }}
{{- end -}}

{{- define "kg.secretName" -}}{{ include "kg.name" . }}-secrets{{- end -}}

{{/* Redis is needed as soon as consumer-gateway can run more than one replica. */}}
{{- define "kg.checkRedis" -}}
{{- $c := .Values.consumer -}}
{{- if and (not .Values.redis.url) (or (gt (int $c.replicaCount) 1) (and $c.autoscaling.enabled (gt (int $c.autoscaling.maxReplicas) 1))) -}}
{{- fail "redis.url is required when consumer-gateway may run more than one replica (consumer.replicaCount > 1 or consumer.autoscaling): Redis records which replica owns each consumer instance. For a single replica set consumer.replicaCount=1 and consumer.autoscaling.enabled=false." -}}
{{- end -}}
{{- end -}}

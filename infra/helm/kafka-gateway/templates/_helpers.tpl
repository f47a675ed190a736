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

{{/* An env var naming a file of a mounted Secret; nothing when the key is empty. */}}
{{- define "kg.fileVar" -}}
{{- if .key }}
- { name: {{ .name }}, value: {{ printf "/etc/kafka-gateway/%s/%s" .dir .key | quote }} }
{{- end -}}
{{- end -}}

{{/* The Secrets mounted into both apps (consumer-only ones are added in the Deployment). */}}
{{- define "kg.secretMounts" -}}
{{- $v := .Values -}}
{{- $m := list -}}
{{- if $v.kafka.tls.secretName }}{{ $m = append $m (dict "dir" "kafka-tls" "secret" $v.kafka.tls.secretName) }}{{ end -}}
{{- if $v.kafka.sasl.secretName }}{{ $m = append $m (dict "dir" "kafka-sasl" "secret" $v.kafka.sasl.secretName) }}{{ end -}}
{{- if $v.schemaRegistry.secretName }}{{ $m = append $m (dict "dir" "schema-registry" "secret" $v.schemaRegistry.secretName) }}{{ end -}}
{{- if $v.https.enabled }}{{ $m = append $m (dict "dir" "https" "secret" $v.https.secretName) }}{{ end -}}
{{- if $v.auth.secretName }}{{ $m = append $m (dict "dir" "auth" "secret" $v.auth.secretName) }}{{ end -}}
{{- toJson $m -}}
{{- end -}}

{{- define "kg.checkSecurity" -}}
{{- $methods := splitList "," (.Values.auth.methods | replace " " "") -}}
{{- if and (has "basic" $methods) (or (not .Values.auth.secretName) (not .Values.auth.basicFileKey)) -}}
{{- fail "auth.methods lists basic: set auth.secretName and auth.basicFileKey (the Secret key holding the user:hash[:groups] file)" -}}
{{- end -}}
{{- if and (has "jwt" $methods) (or (not .Values.auth.jwt.jwksUrl) (not .Values.auth.jwt.issuer) (not .Values.auth.jwt.audience)) -}}
{{- fail "auth.methods lists jwt: set auth.jwt.jwksUrl, auth.jwt.issuer and auth.jwt.audience" -}}
{{- end -}}
{{- if and (has "mtls" $methods) (or (not .Values.https.enabled) (not .Values.https.clientCaKey)) -}}
{{- fail "auth.methods lists mtls: enable https with https.clientCaKey (the CA client certificates are checked against)" -}}
{{- end -}}
{{- if and .Values.https.enabled (not .Values.https.secretName) -}}
{{- fail "https.enabled needs https.secretName: a Secret with the listener's certificate and key (tls.crt, tls.key)" -}}
{{- end -}}
{{- $p := .Values.kafka.securityProtocol -}}
{{- if and .Values.kafka.sasl.mechanism (not (has $p (list "SASL_PLAINTEXT" "SASL_SSL"))) -}}
{{- fail (printf "kafka.sasl.mechanism needs kafka.securityProtocol SASL_PLAINTEXT or SASL_SSL (is %s)" $p) -}}
{{- end -}}
{{- if and .Values.kafka.tls.secretName (not (has $p (list "SSL" "SASL_SSL"))) -}}
{{- fail (printf "kafka.tls.secretName needs kafka.securityProtocol SSL or SASL_SSL (is %s)" $p) -}}
{{- end -}}
{{- end -}}

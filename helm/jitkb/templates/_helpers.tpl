{{/* The chart's name, overridable. */}}
{{- define "jitkb.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: the prefix of every object's name. */}}
{{- define "jitkb.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* One service's object name. Call with (dict "root" $ "service" "gateway"). */}}
{{- define "jitkb.serviceName" -}}
{{- printf "%s-%s" (include "jitkb.fullname" .root | trunc 52 | trimSuffix "-") .service }}
{{- end }}

{{- define "jitkb.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels shared by every object of the release. */}}
{{- define "jitkb.labels" -}}
app.kubernetes.io/name: {{ include "jitkb.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{ include "jitkb.releaseLabels" . }}
{{- end }}

{{/* The labels beyond name and instance (pod templates add them to the selector labels). */}}
{{- define "jitkb.releaseLabels" -}}
helm.sh/chart: {{ include "jitkb.chart" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: jitkb
jitkb.dev/tenancy: {{ include "jitkb.tenancy" . }}
{{- if eq (include "jitkb.tenancy" .) "silo" }}
jitkb.dev/tenant: {{ .Values.tenancy.tenantId | quote }}
{{- end }}
{{- end }}

{{/* Selector labels of one service. Call with (dict "root" $ "service" "gateway"). */}}
{{- define "jitkb.selectorLabels" -}}
app.kubernetes.io/name: {{ include "jitkb.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .service }}
{{- end }}

{{/* pooled or silo; silo needs the tenant. */}}
{{- define "jitkb.tenancy" -}}
{{- $mode := .Values.tenancy.mode | default "pooled" }}
{{- if not (has $mode (list "pooled" "silo")) }}
{{- fail (printf "tenancy.mode must be pooled or silo, not %q" $mode) }}
{{- end }}
{{- if and (eq $mode "silo") (not .Values.tenancy.tenantId) }}
{{- fail "tenancy.tenantId is required when tenancy.mode is silo" }}
{{- end }}
{{- if and (eq $mode "silo") (not (regexMatch "^[a-z0-9][a-z0-9-]{0,30}$" .Values.tenancy.tenantId)) }}
{{- fail "tenancy.tenantId must be lowercase letters, digits and hyphens (it names AWS resources)" }}
{{- end }}
{{- $mode }}
{{- end }}

{{/* The AWS resource name prefix: <resourcePrefix>, or <resourcePrefix>-<tenantId> in silo. */}}
{{- define "jitkb.resourcePrefix" -}}
{{- if eq (include "jitkb.tenancy" .) "silo" }}
{{- printf "%s-%s" .Values.aws.resourcePrefix .Values.tenancy.tenantId }}
{{- else }}
{{- .Values.aws.resourcePrefix }}
{{- end }}
{{- end }}

{{- define "jitkb.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "jitkb.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The image of one service. Call with (dict "root" $ "service" "gateway"). */}}
{{- define "jitkb.image" -}}
{{- $image := .root.Values.image }}
{{- $repository := printf "%s/%s" $image.repositoryPrefix .service }}
{{- if $image.registry }}
{{- $repository = printf "%s/%s" $image.registry $repository }}
{{- end }}
{{- printf "%s:%s" $repository (default .root.Chart.AppVersion $image.tag) }}
{{- end }}

{{/*
The ConfigMap's data: `env` with the computed AWS names and version filled in where empty, and
empty values left out so that each service falls back to its own default.
*/}}
{{- define "jitkb.env" -}}
{{- $prefix := include "jitkb.resourcePrefix" . }}
{{- $region := .Values.aws.region }}
{{- $account := .Values.aws.accountId }}
{{- $computed := dict
  "JITKB_VERSION" .Chart.AppVersion
  "AWS_REGION" $region
  "EVENTS_TOPIC_ARN" (printf "arn:aws:sns:%s:%s:%s-events" $region $account $prefix)
  "BUCKET_NAME" (printf "%s-uploads" $prefix)
  "TABLE_PROJECTS" (printf "%s-projects" $prefix)
  "TABLE_FILES" (printf "%s-files" $prefix)
  "TABLE_KB_FILES" (printf "%s-kb-files" $prefix)
  "TABLE_CHATS" (printf "%s-chats" $prefix)
  "TABLE_CHAT_HISTORY" (printf "%s-chat-history" $prefix)
  "TABLE_RATE_LIMITS" (printf "%s-rate-limits" $prefix)
  "TABLE_LEASES" (printf "%s-leases" $prefix)
}}
{{- range $consumer := list "project" "chat" "ingestion" "janitor" }}
{{- $_ := set $computed (printf "QUEUE_URL_%s" (upper $consumer)) (printf "https://sqs.%s.amazonaws.com/%s/%s-%s" $region $account $prefix $consumer) }}
{{- end }}
{{- if and (eq (include "jitkb.tenancy" .) "silo") .Values.tenancy.tier }}
{{- $_ := set $computed "TENANTS" (dict .Values.tenancy.tenantId .Values.tenancy.tier | toJson) }}
{{- end }}
{{- $env := dict }}
{{- range $key, $value := .Values.env }}
{{- $resolved := $value | default (get $computed $key) }}
{{- if ne (toString $resolved) "" }}
{{- $_ := set $env $key (toString $resolved) }}
{{- end }}
{{- end }}
{{- if eq (get $env "JITKB_MODE") "aws" }}
{{- if not (get $env "OIDC_ISSUER") }}
{{- fail "env.OIDC_ISSUER is required in aws mode" }}
{{- end }}
{{- end }}
{{- toYaml $env }}
{{- end }}

{{/* The Secret holding secretEnv, when there is one. */}}
{{- define "jitkb.secretName" -}}
{{- if .Values.existingSecret }}
{{- .Values.existingSecret }}
{{- else if .Values.secretEnv }}
{{- include "jitkb.fullname" . }}
{{- end }}
{{- end }}

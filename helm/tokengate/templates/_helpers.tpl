{{/*
Names, labels and the pod pieces every component shares. Component-specific
things (command, ports, probes) stay in the component's own templates.
*/}}

{{- define "tokengate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Leaves room for the longest component suffix ("-http2kafka") within 63. */}}
{{- define "tokengate.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "tokengate.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tokengate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tokengate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "tokengate.labels" -}}
helm.sh/chart: {{ include "tokengate.chart" . }}
{{ include "tokengate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tokengate
{{- end -}}

{{/* Usage: include "tokengate.componentSelectorLabels" (list $ "api") */}}
{{- define "tokengate.componentSelectorLabels" -}}
{{ include "tokengate.selectorLabels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "tokengate.componentLabels" -}}
{{ include "tokengate.labels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "tokengate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "tokengate.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "tokengate.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/*
The signing keys for the chart's Secrets, decided once per render so the
Secret, its migration-hook twin and the checksum agree. A generated key must
survive upgrades, or every issued token stops verifying: the one already in the
cluster wins over a new one.
*/}}
{{- define "tokengate.signingKeys" -}}
{{- if not (hasKey .Values "_signingKeysOfThisRender") -}}
{{- $keys := .Values.signingKeys -}}
{{- if not $keys -}}
{{- $live := lookup "v1" "Secret" .Release.Namespace (include "tokengate.fullname" .) -}}
{{- $keys = index ($live.data | default dict) .Values.existingSecretKeys.signingKeys | default "" | b64dec -}}
{{- end -}}
{{- $_ := set .Values "_signingKeysOfThisRender" ($keys | default (printf "k1:%s" (randAlphaNum 48))) -}}
{{- end -}}
{{- .Values._signingKeysOfThisRender -}}
{{- end -}}

{{/*
A random key of the chart's Secret, decided once per render and kept across
upgrades like the signing keys (the one already in the cluster wins): every
api replica, old and new, must hold the same one. Usage:
include "tokengate.generatedKey" (list $ "session-secret")
*/}}
{{- define "tokengate.generatedKey" -}}
{{- $ := index . 0 -}}
{{- $key := index . 1 -}}
{{- $memo := printf "_generated_%s" ($key | replace "-" "_") -}}
{{- if not (hasKey $.Values $memo) -}}
{{- $live := lookup "v1" "Secret" $.Release.Namespace (include "tokengate.fullname" $) -}}
{{- $value := index ($live.data | default dict) $key | default "" | b64dec -}}
{{- $_ := set $.Values $memo ($value | default (randAlphaNum 48)) -}}
{{- end -}}
{{- index $.Values $memo -}}
{{- end -}}

{{- define "tokengate.secretName" -}}
{{- default (include "tokengate.fullname" .) .Values.existingSecret -}}
{{- end -}}

{{- define "tokengate.authorityAddress" -}}
{{- printf "%s-authority.%s.svc:%v" (include "tokengate.fullname" .) .Release.Namespace .Values.authority.service.port -}}
{{- end -}}

{{/* libpq URI without the password: pods get that as PGPASSWORD from the Secret. */}}
{{- define "tokengate.databaseUrl" -}}
{{- $pg := .Values.postgresql -}}
{{- printf "postgresql://%s@%s:%v/%s?sslmode=%s" ($pg.user | urlquery) $pg.host $pg.port ($pg.database | urlquery) $pg.sslmode -}}
{{- end -}}

{{- define "tokengate.kafkaSecurityProtocol" -}}
{{- $k := .Values.kafka -}}
{{- if and $k.sasl.enabled $k.tls.enabled -}}SASL_SSL
{{- else if $k.sasl.enabled -}}SASL_PLAINTEXT
{{- else if $k.tls.enabled -}}SSL
{{- else -}}PLAINTEXT
{{- end -}}
{{- end -}}

{{/* Pod annotations that restart pods when their configuration changes. */}}
{{- define "tokengate.checksumAnnotations" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- if not .Values.existingSecret }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}
{{- end -}}

{{/*
Pod spec fields shared by every component. Usage:
include "tokengate.podCommon" (list $ .Values.api)
*/}}
{{- define "tokengate.podCommon" -}}
{{- $ := index . 0 -}}
{{- $c := index . 1 -}}
serviceAccountName: {{ include "tokengate.serviceAccountName" $ }}
# The pods never call the Kubernetes API.
automountServiceAccountToken: false
# Service links would inject TOKENGATE_API_PORT=tcp://... and the like into the
# TOKENGATE_* namespace the binaries read their configuration from.
enableServiceLinks: false
{{- with $.Values.image.pullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
securityContext:
  {{- toYaml $.Values.podSecurityContext | nindent 2 }}
{{- with $c.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "tokengate.podMetadata" -}}
{{- $ := index . 0 -}}
{{- $c := index . 1 -}}
{{- $component := index . 2 -}}
labels:
  {{- include "tokengate.componentLabels" (list $ $component) | nindent 2 }}
  {{- with $c.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
annotations:
  {{- include "tokengate.checksumAnnotations" $ | nindent 2 }}
  {{- with $c.podAnnotations }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}

{{/* Container fields shared by every component (image, security, config). */}}
{{- define "tokengate.containerCommon" -}}
{{- $ := index . 0 -}}
{{- $c := index . 1 -}}
image: {{ include "tokengate.image" $ }}
imagePullPolicy: {{ $.Values.image.pullPolicy }}
securityContext:
  {{- toYaml $.Values.containerSecurityContext | nindent 2 }}
envFrom:
  - configMapRef:
      name: {{ include "tokengate.fullname" $ }}
{{- with $c.resources }}
resources:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
A pause before SIGTERM: kube-proxy and load balancers drop a terminating pod
from their endpoints only a moment after it is told to stop, and a pod that
stops at once meets new connections it can no longer take (the cluster test
of a rolling upgrade under load saw refused and timed-out requests). The sleep
action needs no shell in the image; Kubernetes < 1.30 has none, so no pause.
*/}}
{{- define "tokengate.preStop" -}}
{{- $seconds := int .Values.termination.preStopSleepSeconds -}}
{{- if and (gt $seconds 0) (semverCompare ">=1.30-0" .Capabilities.KubeVersion.Version) }}
lifecycle:
  preStop:
    sleep:
      seconds: {{ $seconds }}
{{- end }}
{{- end -}}

{{- define "tokengate.probeTiming" -}}
initialDelaySeconds: {{ .initialDelaySeconds }}
periodSeconds: {{ .periodSeconds }}
timeoutSeconds: {{ .timeoutSeconds }}
failureThreshold: {{ .failureThreshold }}
{{- end -}}

{{- define "tokengate.secretEnv" -}}
{{- $ := index . 0 -}}
- name: {{ index . 1 }}
  valueFrom:
    secretKeyRef:
      name: {{ include "tokengate.secretName" $ }}
      key: {{ index $.Values.existingSecretKeys (index . 2) }}
{{- end -}}

{{/*
The api's own keys (sessions.*): optional, so an existingSecret without them
still starts (each pod then makes a random key, and says so in its log).
*/}}
{{- define "tokengate.apiKeysEnv" -}}
{{- range $variable, $value := dict "TOKENGATE_ACCESS_TOKEN_SECRET" .Values.sessions.accessTokenSecretKey "TOKENGATE_SESSION_SECRET" .Values.sessions.sessionSecretKey }}
- name: {{ $variable }}
  valueFrom:
    secretKeyRef:
      name: {{ include "tokengate.secretName" $ }}
      key: {{ $value }}
      optional: true
{{- end }}
{{- end -}}

{{- define "tokengate.databasePasswordEnv" -}}
{{- include "tokengate.secretEnv" (list . "PGPASSWORD" "databasePassword") }}
{{- end -}}

{{/*
Optional env blocks render to nothing when off; callers wrap them in `with`
so no blank line is left behind.
*/}}
{{- define "tokengate.kafkaSaslPasswordEnv" -}}
{{- if .Values.kafka.sasl.enabled -}}
{{- include "tokengate.secretEnv" (list . "TOKENGATE_KAFKA_SASL_PASSWORD" "kafkaSaslPassword") }}
{{- end -}}
{{- end -}}

{{/* mTLS files, mounted from a kubernetes.io/tls Secret (cert-manager layout). */}}
{{- define "tokengate.tlsEnv" -}}
{{- if .Values.tls.enabled -}}
- name: TOKENGATE_TLS_CERT_FILE
  value: /etc/tokengate/tls/tls.crt
- name: TOKENGATE_TLS_KEY_FILE
  value: /etc/tokengate/tls/tls.key
- name: TOKENGATE_TLS_CA_FILE
  value: /etc/tokengate/tls/ca.crt
{{- end -}}
{{- end -}}

{{/* Usage: include "tokengate.volumeMounts" (list $ withTls) */}}
{{- define "tokengate.volumeMounts" -}}
{{- $ := index . 0 -}}
# The root filesystem is read-only; /tmp is the one writable place.
- name: tmp
  mountPath: /tmp
{{- if and $.Values.tls.enabled (index . 1) }}
- name: tls
  mountPath: /etc/tokengate/tls
  readOnly: true
{{- end }}
{{- end -}}

{{/* Usage: include "tokengate.volumes" (list $ tlsSecretName) */}}
{{- define "tokengate.volumes" -}}
{{- $ := index . 0 -}}
- name: tmp
  emptyDir: {}
{{- if and $.Values.tls.enabled (index . 1) }}
- name: tls
  secret:
    secretName: {{ index . 1 }}
    defaultMode: 0440
{{- end }}
{{- end -}}

{{/*
Rules values.schema.json cannot state, or could state only by echoing a secret
into the error message. Included once, from the ConfigMap.
*/}}
{{- define "tokengate.validateValues" -}}
{{- with .Values.signingKeys }}
{{- if not (regexMatch "^[A-Za-z0-9._-]+:[^,]{32,}(,[A-Za-z0-9._-]+:[^,]{32,})*$" .) }}
{{- fail "signingKeys: expected kid1:secret1,kid2:secret2 (kid of letters, digits, '.', '_', '-'; each secret at least 32 characters, 256 bits for HS256); value not shown" }}
{{- end }}
{{- end }}
{{- $n := .Values.notices }}
{{- if and (or $n.smtp.url $n.webhook.url) (not $n.publicUrl) }}
{{- fail "notices.publicUrl: required when notices.smtp.url or notices.webhook.url is set (the link to the tokens page)" }}
{{- end }}
{{- if and $n.smtp.url (not $n.smtp.from) }}
{{- fail "notices.smtp.from: required with notices.smtp.url" }}
{{- end }}
{{- if and $n.smtp.username (not $n.smtp.password) (not .Values.existingSecret) }}
{{- fail "notices.smtp.password: required with notices.smtp.username (or use existingSecret)" }}
{{- end }}
{{- if and $n.webhook.url (lt (len $n.webhook.secret) 16) (not .Values.existingSecret) }}
{{- fail "notices.webhook.secret: at least 16 bytes required with notices.webhook.url (or use existingSecret); value not shown" }}
{{- end }}
{{- range $component := list "authority" "api" "http2kafka" }}
{{- $a := (index $.Values $component).autoscaling }}
{{- if and $a.enabled (gt (int $a.minReplicas) (int $a.maxReplicas)) }}
{{- fail (printf "%s.autoscaling: minReplicas (%v) is above maxReplicas (%v)" $component $a.minReplicas $a.maxReplicas) }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The api's human login settings (TOKENGATE_AUTH_* and the OpenID Connect client). */}}
{{- define "tokengate.authEnv" -}}
{{- $a := .Values.auth -}}
- name: TOKENGATE_AUTH_PROVIDER
  value: {{ $a.provider | quote }}
{{- if eq $a.provider "dummy" }}
- name: TOKENGATE_AUTH_ALLOW_DUMMY
  value: {{ $a.allowDummy | quote }}
{{- with $a.adminUsers }}
- name: TOKENGATE_ADMIN_USERS
  value: {{ . | quote }}
{{- end }}
{{- else }}
{{- if eq $a.provider "keycloak" }}
- name: TOKENGATE_KEYCLOAK_SERVER_URL
  value: {{ $a.keycloak.serverUrl | quote }}
- name: TOKENGATE_KEYCLOAK_REALM
  value: {{ $a.keycloak.realm | quote }}
{{- else }}
- name: TOKENGATE_OIDC_ISSUER
  value: {{ $a.oidc.issuer | quote }}
{{- end }}
- name: TOKENGATE_OIDC_CLIENT_ID
  value: {{ $a.clientId | quote }}
- name: TOKENGATE_OIDC_REDIRECT_URI
  value: {{ $a.redirectUri | quote }}
- name: TOKENGATE_OIDC_SCOPE
  value: {{ $a.scope | quote }}
- name: TOKENGATE_OIDC_VERIFY_TLS
  value: {{ $a.verifyTls | quote }}
- name: TOKENGATE_ADMIN_CLAIM
  value: {{ $a.adminClaim | quote }}
- name: TOKENGATE_ADMIN_ROLE
  value: {{ $a.adminRole | quote }}
- name: TOKENGATE_OIDC_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $a.clientSecret.existingSecret }}
      key: {{ $a.clientSecret.key }}
{{- end }}
{{- end -}}

{{/* Base URL of an edge's Ingress, for NOTES.txt. Usage: include "tokengate.ingressUrl" .Values.api.ingress */}}
{{- define "tokengate.ingressUrl" -}}
{{- printf "%s://%s%s" (ternary "https" "http" (not (empty .tlsSecretName))) .hostname (trimSuffix "/" .path) -}}
{{- end -}}

{{/*
The authority's notice settings: in its own env, not the shared ConfigMap, so
the migration job (which validates the whole config) never sees a webhook
without its secret.
*/}}
{{- define "tokengate.noticeEnv" -}}
{{- $n := .Values.notices -}}
{{- if or $n.smtp.url $n.webhook.url -}}
- name: TOKENGATE_PUBLIC_URL
  value: {{ $n.publicUrl | quote }}
- name: TOKENGATE_EXPIRY_NOTICE_DAYS
  value: {{ $n.expiryDays | quote }}
- name: TOKENGATE_EXPIRY_SCAN_SECONDS
  value: {{ $n.scanSeconds | quote }}
- name: TOKENGATE_NOTICE_MAX_ATTEMPTS
  value: {{ $n.maxAttempts | quote }}
{{- if $n.smtp.url }}
- name: TOKENGATE_SMTP_URL
  value: {{ $n.smtp.url | quote }}
- name: TOKENGATE_SMTP_FROM
  value: {{ $n.smtp.from | quote }}
- name: TOKENGATE_SMTP_STARTTLS
  value: {{ $n.smtp.starttls | quote }}
{{- if $n.smtp.username }}
- name: TOKENGATE_SMTP_USERNAME
  value: {{ $n.smtp.username | quote }}
{{ include "tokengate.secretEnv" (list . "TOKENGATE_SMTP_PASSWORD" "smtpPassword") }}
{{- end }}
{{- end }}
{{- if $n.webhook.url }}
- name: TOKENGATE_WEBHOOK_URL
  value: {{ $n.webhook.url | quote }}
{{ include "tokengate.secretEnv" (list . "TOKENGATE_WEBHOOK_SECRET" "webhookSecret") }}
{{- end }}
{{- end -}}
{{- end -}}

{{/*
o2c.fullname is the prefix of every object's name.
*/}}
{{- define "o2c.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
o2c.labels are the labels of every object; o2c.selectorLabels a
component's selector. Both take (dict "root" $ "name" <service>).
*/}}
{{- define "o2c.selectorLabels" -}}
app.kubernetes.io/name: {{ default .root.Chart.Name .root.Values.nameOverride }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "o2c.labels" -}}
{{ include "o2c.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: o2c
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/*
o2c.image is the image reference: the tag defaults to the chart's
appVersion, and "latest" or an empty tag fail the render.
*/}}
{{- define "o2c.image" -}}
{{- $tag := toString (default .Chart.AppVersion .Values.image.tag) -}}
{{- if or (eq $tag "") (eq $tag "latest") -}}
{{- fail "image.tag must name a version (it defaults to the chart's appVersion); \"latest\" is refused" -}}
{{- end -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}

{{/*
o2c.peers names the services whose gRPC API each service calls, as YAML.
The environment variable of a peer is its name in capitals with
underscores, then _ADDR (LEDGER_ADDR, REFUND_IMPORT_ADDR).
*/}}
{{- define "o2c.peers" -}}
ingestion: [ledger]
ledger: [ingestion]
matching: [ingestion]
dunning: [ingestion]
collections: [ingestion]
refund-import: [ingestion]
console: [ingestion, ledger, matching, dunning, collections, refund-import]
{{- end -}}

{{/*
o2c.scalesOut names the services that scale out by JetStream consumer
groups: only they get a HorizontalPodAutoscaler. Matching does not (yet):
its engine keeps a tenant's open items in memory, fed by durable consumers
that replicas would split, so each would decide on a part of the changes.
*/}}
{{- define "o2c.scalesOut" -}}
[ingestion]
{{- end -}}

{{/*
o2c.backends are the services on libs/host: PostgreSQL, NATS, a schema to
migrate. The console is the other kind.
*/}}
{{- define "o2c.backends" -}}
[ingestion, ledger, matching, dunning, collections, refund-import]
{{- end -}}

{{/*
o2c.tlsSecret and o2c.clientTLSSecret name a service's certificate
Secrets. They take (dict "root" $ "name" <service>).
*/}}
{{- define "o2c.tlsSecret" -}}
{{- printf "%s%s-tls" .root.Values.auth.tls.secretPrefix .name -}}
{{- end -}}
{{- define "o2c.clientTLSSecret" -}}
{{- printf "%s%s-client-tls" .root.Values.auth.tls.secretPrefix .name -}}
{{- end -}}

{{/*
o2c.backendEnv is the environment every libs/host service reads
(host.Config, libs/auth, libs/telemetry), without its peers. It takes
(dict "root" $ "name" <service>).
*/}}
{{- define "o2c.backendEnv" -}}
{{- $v := .root.Values -}}
- name: O2C_ENV
  value: production
- name: O2C_TENANTS
  value: /etc/o2c/tenants/tenants.json
- name: NATS_URL
  value: {{ $v.nats.url | quote }}
- name: NATS_USER
  value: {{ .name | quote }}
- name: NATS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $v.nats.existingSecret }}
      key: {{ .name }}
- name: NATS_STREAM_REPLICAS
  value: {{ $v.nats.streamReplicas | quote }}
- name: NATS_MANAGE_STREAMS
  value: {{ $v.nats.manageStreams | quote }}
{{- with $v.nats.streamMaxMsgs }}
- name: NATS_STREAM_MAX_MSGS
  value: {{ . | quote }}
{{- end }}
{{- with $v.nats.streamMaxBytes }}
- name: NATS_STREAM_MAX_BYTES
  value: {{ . | quote }}
{{- end }}
{{- with $v.nats.streamMaxAge }}
- name: NATS_STREAM_MAX_AGE
  value: {{ . | quote }}
{{- end }}
- name: O2C_AUTH
  value: {{ $v.auth.mode | quote }}
{{- if or (eq $v.auth.mode "mtls") $v.auth.tls.enabled }}
- name: O2C_TLS_CERT
  value: /etc/o2c/tls/tls.crt
- name: O2C_TLS_KEY
  value: /etc/o2c/tls/tls.key
{{- end }}
{{- if eq $v.auth.mode "mtls" }}
- name: O2C_TLS_CLIENT_CA
  value: /etc/o2c/tls/ca.crt
{{- end }}
{{- with $v.auth.jwt.jwks }}
- name: O2C_JWT_JWKS
  value: {{ . | quote }}
{{- end }}
{{- with $v.auth.jwt.issuer }}
- name: O2C_JWT_ISSUER
  value: {{ . | quote }}
{{- end }}
{{- with $v.auth.jwt.audience }}
- name: O2C_JWT_AUDIENCE
  value: {{ . | quote }}
{{- end }}
{{- if eq $v.auth.mode "tokens" }}
- name: O2C_AUTH_TOKENS
  value: /etc/o2c/tokens/tokens.json
{{- end }}
{{- if $v.anchors.existingSecret }}
- name: O2C_ANCHOR_KEY_FILE
  value: /etc/o2c/anchor/anchor-key
{{- end }}
- name: OTEL_SERVICE_NAME
  value: {{ .name | quote }}
{{- with $v.telemetry.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: grpc
{{- end }}
{{- if $v.telemetry.metrics.enabled }}
- name: OTEL_METRICS_EXPORTER
  value: prometheus
- name: OTEL_EXPORTER_PROMETHEUS_HOST
  value: 0.0.0.0
- name: OTEL_EXPORTER_PROMETHEUS_PORT
  value: {{ $v.telemetry.metrics.port | quote }}
{{- end }}
{{- end -}}

{{/*
o2c.extraEnv renders a service's env map, sorted by name.
*/}}
{{- define "o2c.extraEnv" -}}
{{- range $k, $val := . }}
- name: {{ $k }}
  value: {{ $val | toString | quote }}
{{- end }}
{{- end -}}

{{/*
o2c.probes are the native gRPC probes of a container (a gRPC probe takes
a port number, not a name). They take (dict "root" $ "port" <port>
"liveness" <health name>).
*/}}
{{- define "o2c.probes" -}}
{{- $p := .root.Values.probes -}}
startupProbe:
  grpc:
    port: {{ .port }}
    service: {{ .liveness | quote }}
  periodSeconds: {{ $p.startup.periodSeconds }}
  failureThreshold: {{ $p.startup.failureThreshold }}
livenessProbe:
  grpc:
    port: {{ .port }}
    service: {{ .liveness | quote }}
  periodSeconds: {{ $p.liveness.periodSeconds }}
  failureThreshold: {{ $p.liveness.failureThreshold }}
readinessProbe:
  grpc:
    port: {{ .port }}
    service: ""
  periodSeconds: {{ $p.readiness.periodSeconds }}
  failureThreshold: {{ $p.readiness.failureThreshold }}
{{- end -}}

{{/*
o2c.podSpecCommon is what every pod shares: pull secrets, security
context, scheduling.
*/}}
{{- define "o2c.podSpecCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
automountServiceAccountToken: false
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

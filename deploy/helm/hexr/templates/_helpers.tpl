{{/* Labels of a platform component: include "hexr.labels" (list $ "valkey") */}}
{{- define "hexr.labels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ index . 1 }}
app.kubernetes.io/part-of: hexr
app.kubernetes.io/component: {{ index . 1 }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
{{- end -}}

{{- define "hexr.selector" -}}
app.kubernetes.io/name: {{ . }}
app.kubernetes.io/part-of: hexr
{{- end -}}

{{/* Image reference; the digest wins over the tag: include "hexr.image" (list $ .Values.images.valkey) */}}
{{- define "hexr.image" -}}
{{- $root := index . 0 -}}
{{- $img := index . 1 -}}
{{- $repo := $img.repository -}}
{{- if $root.Values.global.imageRegistry -}}
{{- $parts := splitList "/" $repo -}}
{{- $repo = printf "%s/%s" $root.Values.global.imageRegistry (join "/" (rest $parts)) -}}
{{- end -}}
{{- if $img.digest -}}
{{ $repo }}@{{ $img.digest }}
{{- else -}}
{{ $repo }}:{{ $img.tag }}
{{- end -}}
{{- end -}}

{{/* Pod-level hardening: non-root, seccomp RuntimeDefault (automountServiceAccountToken is set per pod). */}}
{{- define "hexr.podSecurity" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: {{ .Values.global.runAsUser }}
  runAsGroup: {{ .Values.global.runAsUser }}
  fsGroup: {{ .Values.global.runAsUser }}
  seccompProfile:
    type: RuntimeDefault
{{- with .Values.global.imagePullSecrets }}
imagePullSecrets:
{{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Container-level hardening: read-only rootfs, no privilege escalation, all caps dropped. */}}
{{- define "hexr.containerSecurity" -}}
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  runAsNonRoot: true
  privileged: false
  capabilities:
    drop: [ALL]
  seccompProfile:
    type: RuntimeDefault
{{- end -}}

{{/* Spread replicas over nodes: include "hexr.antiAffinity" (list $ "valkey") */}}
{{- define "hexr.antiAffinity" -}}
{{- $root := index . 0 -}}
affinity:
  podAntiAffinity:
{{- if eq $root.Values.global.antiAffinity "hard" }}
    requiredDuringSchedulingIgnoredDuringExecution:
      - topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            app.kubernetes.io/name: {{ index . 1 }}
{{- else }}
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              app.kubernetes.io/name: {{ index . 1 }}
{{- end }}
{{- end -}}

{{/* PodDisruptionBudget: include "hexr.pdb" (list $ "valkey" replicas) */}}
{{- define "hexr.pdb" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- $replicas := int (index . 2) -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $name }}
  namespace: hexr-system
  labels:
    {{- include "hexr.labels" (list $root $name) | nindent 4 }}
spec:
  {{- if gt $replicas 1 }}
  minAvailable: {{ sub $replicas 1 }}
  {{- else }}
  maxUnavailable: 1
  {{- end }}
  selector:
    matchLabels:
      {{- include "hexr.selector" $name | nindent 6 }}
{{- end -}}

{{/* Read-only ServiceAccount of a component. */}}
{{- define "hexr.serviceAccount" -}}
{{- $root := index . 0 -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ index . 1 }}
  namespace: hexr-system
  labels:
    {{- include "hexr.labels" (list $root (index . 1)) | nindent 4 }}
automountServiceAccountToken: false
{{- end -}}

{{/* Volumes every SPIFFE workload mounts: the SPIRE agent's Workload API via the CSI driver. */}}
{{- define "hexr.spiffeVolume" -}}
- name: spiffe-workload-api
  csi:
    driver: csi.spiffe.io
    readOnly: true
{{- end -}}

{{- define "hexr.spiffeMount" -}}
- name: spiffe-workload-api
  mountPath: /spiffe-workload-api
  readOnly: true
{{- end -}}

{{/* Environment every Hexr process gets (identity, telemetry). */}}
{{- define "hexr.env" -}}
- name: SPIFFE_ENDPOINT_SOCKET
  value: unix:///spiffe-workload-api/spire-agent.sock
- name: HEXR_TRUST_DOMAIN
  value: {{ .Values.trustDomain | quote }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: http://otel-collector.hexr-system.svc:4317
- name: HEXR_METRICS_HOST
  value: 0.0.0.0
- name: HEXR_METRICS_PORT
  value: "9464"
- name: HEXR_METRICS_BEARER_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ .Values.prometheus.scrapeSecret }}
      key: token
      optional: true
{{- end -}}

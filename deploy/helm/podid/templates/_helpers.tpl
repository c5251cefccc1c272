{{/* Names, labels and the image shared by every podid object. */}}

{{- define "podid.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "podid.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "podid.component" -}}
{{- printf "%s-%s" (include "podid.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "podid.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
app.kubernetes.io/name: {{ include "podid.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "podid.selectorLabels" -}}
app.kubernetes.io/name: {{ include "podid.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "podid.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The broker's in-cluster URL: the agent's EKS Auth endpoint. */}}
{{- define "podid.brokerURL" -}}
{{- printf "https://%s.%s.svc:443" (include "podid.component" (dict "root" . "component" "broker")) .Release.Namespace -}}
{{- end -}}

{{/* DNS names of a component's Service. */}}
{{- define "podid.serviceDNS" -}}
{{- $svc := include "podid.component" . -}}
{{- $ns := .root.Release.Namespace -}}
{{- list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) | toJson -}}
{{- end -}}

{{/* Secret names of the serving certificates. */}}
{{- define "podid.tlsSecret" -}}
{{- printf "%s-tls" (include "podid.component" .) -}}
{{- end -}}

{{- define "podid.validate" -}}
{{- if not (has .Values.associations.source (list "eks" "crd")) -}}
{{- fail (printf "associations.source must be eks or crd, not %q" .Values.associations.source) -}}
{{- end -}}
{{- if not (has .Values.tokenValidation.mode (list "tokenReview" "issuer")) -}}
{{- fail (printf "tokenValidation.mode must be tokenReview or issuer, not %q" .Values.tokenValidation.mode) -}}
{{- end -}}
{{- if and (eq .Values.tokenValidation.mode "issuer") (not .Values.tokenValidation.issuer) -}}
{{- fail "tokenValidation.mode issuer needs tokenValidation.issuer (the cluster's --service-account-issuer)" -}}
{{- end -}}
{{- if not (has .Values.webhook.failurePolicy (list "Fail" "Ignore")) -}}
{{- fail (printf "webhook.failurePolicy must be Fail or Ignore, not %q" .Values.webhook.failurePolicy) -}}
{{- end -}}
{{- if not (has .Values.agent.signingCredentials (list "placeholder" "node")) -}}
{{- fail (printf "agent.signingCredentials must be placeholder or node, not %q" .Values.agent.signingCredentials) -}}
{{- end -}}
{{- if not .Values.clusterName -}}
{{- fail "clusterName is required" -}}
{{- end -}}
{{- end -}}

{{/*
The agent's init step, as the upstream eks-pod-identity-agent's `initialize`: the link
pod-id-link0 holding 169.254.170.23/32 and fd00:ec2::23/128, up. Idempotent (a restarted pod or a
node that already has the link runs it again unchanged). Where the kernel has no dummy driver the
link is one end of a veth pair whose peer stays on the node, so it still holds only these addresses.
*/}}
{{- define "podid.agentInitScript" -}}
set -eu
link=pod-id-link0
if ! ip link show dev "$link" >/dev/null 2>&1; then
  ip link add "$link" type dummy 2>/dev/null || ip link add "$link" type veth peer name "${link}p"
fi
if ip link show dev "${link}p" >/dev/null 2>&1; then ip link set dev "${link}p" up; fi
ip -4 addr replace 169.254.170.23/32 dev "$link"
ip -6 addr replace fd00:ec2::23/128 dev "$link" nodad
ip link set dev "$link" up
{{- end -}}

{{- define "podid.antiAffinity" -}}
{{- if .affinity }}
{{- toYaml .affinity }}
{{- else }}
podAntiAffinity:
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "podid.selectorLabels" .labels | nindent 12 }}
{{- end }}
{{- end -}}

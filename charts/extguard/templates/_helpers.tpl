{{/*
Object names are fixed, as in manifests/: one extguard per cluster (its webhooks and
ClusterRole are cluster-wide), whatever the release is called.
*/}}

{{/* Labels on every object: manifests/base's two, plus Helm's standard ones. */}}
{{- define "extguard.labels" -}}
app.kubernetes.io/name: extguard
app.kubernetes.io/part-of: extguard
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | quote }}
{{- end -}}

{{/*
The release namespace, refused when it is a namespace the chart must not own: the chart labels
its namespace extguard.io/mode=off and Pod Security restricted, and `helm uninstall` deletes it.
Only checked when installing or upgrading (also `helm template`), not by `helm lint`, which
renders into "default".
*/}}
{{- define "extguard.namespace" -}}
{{- if and .Values.namespace.create (or .Release.IsInstall .Release.IsUpgrade) (has .Release.Namespace (list "default" "kube-system" "kube-public" "kube-node-lease")) -}}
{{- fail (printf "extguard must be installed into its own namespace, not %q: the chart creates, labels and on uninstall deletes it. Use --namespace extguard-system --create-namespace (or set namespace.create=false)" .Release.Namespace) -}}
{{- end -}}
{{- .Release.Namespace -}}
{{- end -}}

{{/* The Service's DNS name, which the serving certificate must name. */}}
{{- define "extguard.serviceDnsNames" -}}
{{- $ns := include "extguard.namespace" . -}}
{{- list (printf "extguard.%s.svc" $ns) (printf "extguard.%s.svc.cluster.local" $ns) | toJson -}}
{{- end -}}

{{/* The Secret the Deployment mounts: the generated or cert-manager one, or the operator's. */}}
{{- define "extguard.tlsSecretName" -}}
{{- if eq .Values.certificates.mode "provided" -}}
{{- required "certificates.provided.secretName is required when certificates.mode is provided" .Values.certificates.provided.secretName -}}
{{- else -}}
extguard-tls
{{- end -}}
{{- end -}}

{{/*
Certificate material for certificates.mode=generated, as a dict { caCrt caKey tlsCrt tlsKey
caBundle caNotAfter tlsNotAfter } (PEM, not encoded). Kept across upgrades: the CA and serving
certificate already in the cluster (`lookup`) are reused while they are valid, so the caBundle
stays the same and nothing restarts. Sprig cannot parse a certificate, so validity is read
from the annotations this chart writes when it issues one (extguard.io/not-after, and
extguard.io/ca-sha256 for the CA that signed the serving certificate); a Secret without them
counts as invalid and is replaced. Without cluster access (`helm template`, client dry runs)
lookup finds nothing and new material is generated on every render.
Computed once per render and cached in .Values (templates are rendered with one shared root).
*/}}
{{- define "extguard.generatedCerts" -}}
{{- if not (hasKey .Values "__extguardCerts") -}}
{{- $g := .Values.certificates.generated -}}
{{- $ns := include "extguard.namespace" . -}}
{{- $now := now | unixEpoch | int64 -}}
{{- $day := 86400 -}}
{{- $certDays := int64 $g.certDays -}}
{{- $caDays := max (int64 $g.caDays) $certDays -}}
{{- $out := dict -}}
{{- /* The CA: reused when it outlives a new serving certificate (like `extguard certs`). */ -}}
{{- $oldCa := lookup "v1" "Secret" $ns "extguard-ca" -}}
{{- $oldCaNotAfter := 0 -}}
{{- if and $oldCa $oldCa.data $oldCa.metadata.annotations -}}
{{- $s := index $oldCa.metadata.annotations "extguard.io/not-after" | default "" -}}
{{- if and $s (index $oldCa.data "tls.crt") (index $oldCa.data "tls.key") -}}
{{- $oldCaNotAfter = toDate "2006-01-02T15:04:05Z07:00" $s | unixEpoch | int64 -}}
{{- end -}}
{{- end -}}
{{- if gt $oldCaNotAfter (add $now (mul $certDays $day)) -}}
{{- $_ := set $out "caCrt" (index $oldCa.data "tls.crt" | b64dec) -}}
{{- $_ := set $out "caKey" (index $oldCa.data "tls.key" | b64dec) -}}
{{- $_ := set $out "caNotAfter" (index $oldCa.metadata.annotations "extguard.io/not-after") -}}
{{- $_ := set $out "caBundle" $out.caCrt -}}
{{- else -}}
{{- $ca := genCAWithKey "extguard-ca" (int $caDays) (genPrivateKey "ecdsa") -}}
{{- $_ := set $out "caCrt" $ca.Cert -}}
{{- $_ := set $out "caKey" $ca.Key -}}
{{- $_ := set $out "caNotAfter" (now | dateModify (printf "+%dh" (mul $caDays 24)) | date "2006-01-02T15:04:05Z07:00") -}}
{{- /* A replaced CA that is still valid stays in the bundle: Pods serving the old
     certificate until the kubelet syncs the Secret are still trusted. */ -}}
{{- if gt $oldCaNotAfter $now -}}
{{- $_ := set $out "caBundle" (printf "%s%s" $ca.Cert (index $oldCa.data "tls.crt" | b64dec)) -}}
{{- else -}}
{{- $_ := set $out "caBundle" $ca.Cert -}}
{{- end -}}
{{- end -}}
{{- $caSha := $out.caCrt | sha256sum -}}
{{- $_ := set $out "caSha256" $caSha -}}
{{- /* The serving certificate: reused while signed by that CA and valid for renewBeforeDays. */ -}}
{{- $oldTls := lookup "v1" "Secret" $ns "extguard-tls" -}}
{{- $reuse := false -}}
{{- if and $oldTls $oldTls.data $oldTls.metadata.annotations (index $oldTls.data "tls.crt") (index $oldTls.data "tls.key") -}}
{{- $s := index $oldTls.metadata.annotations "extguard.io/not-after" | default "" -}}
{{- if and $s (eq (index $oldTls.metadata.annotations "extguard.io/ca-sha256" | default "") $caSha) -}}
{{- if gt (toDate "2006-01-02T15:04:05Z07:00" $s | unixEpoch | int64) (add $now (mul (int64 $g.renewBeforeDays) $day)) -}}
{{- $reuse = true -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if $reuse -}}
{{- $_ := set $out "tlsCrt" (index $oldTls.data "tls.crt" | b64dec) -}}
{{- $_ := set $out "tlsKey" (index $oldTls.data "tls.key" | b64dec) -}}
{{- $_ := set $out "tlsNotAfter" (index $oldTls.metadata.annotations "extguard.io/not-after") -}}
{{- else -}}
{{- $names := include "extguard.serviceDnsNames" . | fromJsonArray -}}
{{- $ca := buildCustomCert ($out.caCrt | b64enc) ($out.caKey | b64enc) -}}
{{- $cert := genSignedCertWithKey (first $names) nil $names (int $certDays) $ca (genPrivateKey "ecdsa") -}}
{{- $_ := set $out "tlsCrt" $cert.Cert -}}
{{- $_ := set $out "tlsKey" $cert.Key -}}
{{- $_ := set $out "tlsNotAfter" (now | dateModify (printf "+%dh" (mul $certDays 24)) | date "2006-01-02T15:04:05Z07:00") -}}
{{- end -}}
{{- $_ := set .Values "__extguardCerts" $out -}}
{{- end -}}
{{- index .Values "__extguardCerts" | toJson -}}
{{- end -}}

{{/* The caBundle of the webhook configurations (base64 PEM), or nothing with cert-manager. */}}
{{- define "extguard.caBundle" -}}
{{- if eq .Values.certificates.mode "generated" -}}
{{- (include "extguard.generatedCerts" . | fromJson).caBundle | b64enc -}}
{{- else if eq .Values.certificates.mode "provided" -}}
{{- required "certificates.provided.caBundle (base64 of the PEM CA) is required when certificates.mode is provided" .Values.certificates.provided.caBundle -}}
{{- end -}}
{{- end -}}

{{/* Pieces shared by the webhook entries of webhooks.yaml. */}}
{{- define "extguard.clientConfig" -}}
clientConfig:
  service: { name: extguard, namespace: {{ .ns }}, path: {{ .path }}, port: 443 }
  {{- with .caBundle }}
  caBundle: {{ . }}
  {{- end }}
{{- end -}}
{{- define "extguard.webhookCommon" -}}
sideEffects: None
admissionReviewVersions: [v1]
timeoutSeconds: {{ .Values.webhook.timeoutSeconds }}
{{- end -}}

{{/*
The failurePolicy a webhook entry is applied with (the install window, docs/install.md):
Ignore until an extguard replica is Ready and sets the entry's target (the configuration's
extguard.io/failure-policy annotation). On upgrade the live value is rendered, whatever the
target: a server-side apply (Helm 4's default) then never conflicts with the field a replica
owns, nor undoes it; a changed target reaches the entry through the annotation, within the
replica's next round. Called with (dict "kind" K "webhook" W).
*/}}
{{- define "extguard.failurePolicyNow" -}}
{{- $now := "Ignore" -}}
{{- $live := lookup "admissionregistration.k8s.io/v1" .kind "" "extguard" -}}
{{- range ($live.webhooks | default list) -}}
{{- if eq .name $.webhook }}{{ $now = .failurePolicy | default "Fail" }}{{ end -}}
{{- end -}}
{{- $now -}}
{{- end -}}

{{/* The namespaces no webhook entry is sent from: the release namespace and webhook.excludedNamespaces. */}}
{{- define "extguard.namespaceSelector" -}}
matchExpressions:
  - { key: kubernetes.io/metadata.name, operator: NotIn, values: {{ prepend (.Values.webhook.excludedNamespaces | default list) (include "extguard.namespace" .) | uniq | toJson }} }
  {{- with .Values.webhook.namespaceSelector.matchExpressions }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- with .Values.webhook.namespaceSelector.matchLabels }}
matchLabels:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
{{- define "extguard.webhookAnnotations" -}}
{{- if eq .Values.certificates.mode "cert-manager" }}
cert-manager.io/inject-ca-from: {{ include "extguard.namespace" . }}/extguard-serving
{{- end }}
{{- end -}}

{{/*
extguard.labels plus the labels a monitoring value adds (what the user's Prometheus or Grafana
selects on). The chart's own labels win a clash, so `-l app.kubernetes.io/part-of=extguard`
and Helm's release labels stay true. Called with (list . extraLabels).
*/}}
{{- define "extguard.labelsWith" -}}
{{- $own := include "extguard.labels" (index . 0) | fromYaml -}}
{{- toYaml (merge $own (index . 1 | default dict)) -}}
{{- end -}}

{{/*
The CEL expression of the namespaces webhook's `not-mode-admin` matchCondition, from
config.governance.modeAdmins: the API server does not send their requests, so the README's safe
bypass (kubectl label ns NAME extguard.io/mode=off) works while extguard is down, and extguard,
reading the same values, would allow them anyway. Names are written as JSON strings, which CEL
reads as its own double-quoted literals (escapes included), so any user or group name is safe.
With the defaults this renders exactly the expression of manifests/base/webhooks.yaml.
*/}}
{{- define "extguard.notModeAdmin" -}}
{{- $admins := (.Values.config.governance | default dict).modeAdmins -}}
{{- if not (kindIs "map" $admins) -}}
{{- fail "config.governance.modeAdmins must be set ({groups: [...], users: [...]}): the namespaces webhook's not-mode-admin condition is generated from it" -}}
{{- end -}}
{{- $groups := $admins.groups | default list -}}
{{- $users := $admins.users | default list -}}
{{- $inGroups := printf "has(request.userInfo.groups) && request.userInfo.groups.exists(g, g in %s)" (toJson $groups) -}}
{{- $isUser := printf "request.userInfo.username in %s" (toJson $users) -}}
{{- if and $groups $users -}}
{{- printf "!(%s || (%s))" $isUser $inGroups -}}
{{- else if $groups -}}
{{- printf "!(%s)" $inGroups -}}
{{- else if $users -}}
{{- printf "!(%s)" $isUser -}}
{{- else -}}
true
{{- end -}}
{{- end -}}

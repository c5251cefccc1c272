"""deploy/helm/podid rendered by the real helm: lint, every variant renders, and each object carries
what a real cluster needs (agent on the host network with its link-local init step, probes and
metrics; the webhook's selectors, failurePolicy and TLS; the broker's token validation and RBAC)."""

from __future__ import annotations

import base64
import ipaddress
from typing import Any

import pytest
from cryptography import x509

from support.helm import CHART, CRD_ASSOCIATIONS, Rendered, container, helm, render, render_error

VARIANTS = {
    "default": (),
    "cert-manager": ("certManager.enabled=true",),
    "crd-associations": CRD_ASSOCIATIONS,
    "issuer": ("tokenValidation.mode=issuer", "tokenValidation.issuer=https://oidc.example.com/id/ABC",
               "tokenValidation.jwksConfigMap=cluster-jwks"),
    "fail-closed": ("webhook.failurePolicy=Fail",),
}
DEFAULT_OBJECTS = {
    "CustomResourceDefinition/podidentityassociations.podid.dev",
    "ServiceAccount/podid-agent", "ServiceAccount/podid-broker", "ServiceAccount/podid-webhook",
    "Secret/podid-webhook-tls", "Secret/podid-broker-tls",
    "ClusterRole/podid-webhook", "ClusterRoleBinding/podid-webhook",
    "ClusterRoleBinding/podid-broker:auth-delegator", "Role/podid-webhook", "RoleBinding/podid-webhook",
    "Service/podid-broker", "Service/podid-webhook",
    "DaemonSet/podid-agent", "Deployment/podid-broker", "Deployment/podid-webhook",
    "MutatingWebhookConfiguration/podid-webhook",
}


def args_of(c: dict[str, Any]) -> dict[str, str]:
    """``--flag=value`` / ``--flag`` arguments as a dict (value '' for a bare flag)."""
    out: dict[str, str] = {}
    for arg in c.get("args", []):
        key, _, value = arg.partition("=")
        out[key] = value
    return out


@pytest.fixture(scope="module")
def default() -> Rendered:
    return render()


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_helm_lint_passes_strict(variant: str) -> None:
    sets = [a for s in VARIANTS[variant] for a in ("--set", s)]
    done = helm("lint", "--strict", str(CHART), "--namespace", "podid", *sets)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 chart(s) linted, 0 chart(s) failed" in done.stdout


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_variant_renders_parseable_objects(variant: str) -> None:
    out = render(*VARIANTS[variant])
    assert out.objects
    for obj in out:
        assert obj["apiVersion"] and obj["kind"] and obj["metadata"]["name"], obj
        if obj["kind"] not in ("CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding",
                               "MutatingWebhookConfiguration"):
            assert obj["metadata"]["namespace"] == "podid", obj["metadata"]
    names = out.names()
    assert len(names) == len(set(names)), f"duplicate objects: {names}"


def test_default_render_is_exactly_the_components(default: Rendered) -> None:
    assert set(default.names()) == DEFAULT_OBJECTS


def test_bad_values_fail_the_render_with_the_reason() -> None:
    assert "webhook.failurePolicy must be Fail or Ignore" in render_error("webhook.failurePolicy=Sometimes")
    assert "associations.source must be eks or crd" in render_error("associations.source=configmap")
    assert "needs tokenValidation.issuer" in render_error("tokenValidation.mode=issuer")
    assert "tokenValidation.mode must be" in render_error("tokenValidation.mode=none")


# -- agent ------------------------------------------------------------------------------------------

def test_agent_runs_on_the_host_network_as_a_node_critical_daemonset(default: Rendered) -> None:
    ds = default.get("DaemonSet", "podid-agent")
    spec = ds["spec"]["template"]["spec"]
    assert spec["hostNetwork"] is True
    assert spec["dnsPolicy"] == "ClusterFirstWithHostNet"    # the broker's Service name resolves
    assert spec["priorityClassName"] == "system-node-critical"
    assert spec["automountServiceAccountToken"] is False
    assert {"operator": "Exists"} in spec["tolerations"]


def test_agent_init_container_adds_the_link_local_addresses_with_net_admin_only(default: Rendered) -> None:
    init = container(default.get("DaemonSet", "podid-agent"), "link-local", init=True)
    assert init["command"][:2] == ["/bin/sh", "-c"]
    script = init["command"][2]
    assert 'ip link add "$link" type dummy' in script and "link=pod-id-link0" in script
    assert 'ip -4 addr replace 169.254.170.23/32 dev "$link"' in script
    assert 'ip -6 addr replace fd00:ec2::23/128 dev "$link" nodad' in script
    assert 'ip link set dev "$link" up' in script
    caps = init["securityContext"]["capabilities"]
    assert caps == {"drop": ["ALL"], "add": ["NET_ADMIN"]}
    assert init["securityContext"]["allowPrivilegeEscalation"] is False


def test_agent_serves_link_local_with_probes_and_metrics(default: Rendered) -> None:
    ds = default.get("DaemonSet", "podid-agent")
    agent = container(ds, "agent")
    assert agent["command"] == ["podid", "agent"]
    args = args_of(agent)
    assert args["--cluster-name"] == "my-cluster" and "--link-local" in args
    assert args["--endpoint"] == "https://podid-broker.podid.svc:443"
    assert args["--bind-hosts"] == "127.0.0.1"
    ports = {p["name"]: p["containerPort"] for p in agent["ports"]}
    assert ports == {"credentials": 80, "probes": 2704, "metrics": 2705}
    assert args["--probe-port"] == "2704" and args["--metrics-port"] == "2705"
    assert args["--metrics-address"] == "0.0.0.0"
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = agent[probe]["httpGet"]
        assert (get["host"], get["path"], get["port"], get["scheme"]) == ("127.0.0.1", path, "probes", "HTTP")
    annotations = ds["spec"]["template"]["metadata"]["annotations"]
    assert annotations == {"prometheus.io/scrape": "true", "prometheus.io/port": "2705",
                           "prometheus.io/path": "/metrics"}
    assert agent["securityContext"]["capabilities"] == {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}
    env = {e["name"]: e["value"] for e in agent["env"]}
    assert env["AWS_CA_BUNDLE"] == "/etc/podid/broker-ca/ca.crt"   # trusts the broker's certificate
    # the broker checks the pod's token, not the agent's signature: a placeholder key, no IMDS
    assert env["AWS_ACCESS_KEY_ID"] == "podid-agent-unsigned" and env["AWS_EC2_METADATA_DISABLED"] == "true"
    volume = ds["spec"]["template"]["spec"]["volumes"][0]
    assert volume["secret"] == {"secretName": "podid-broker-tls",
                                "items": [{"key": "ca.crt", "path": "ca.crt"}]}


# -- webhook ----------------------------------------------------------------------------------------

def _hook(out: Rendered) -> dict[str, Any]:
    hooks = out.get("MutatingWebhookConfiguration", "podid-webhook")["webhooks"]
    assert len(hooks) == 1
    return dict(hooks[0])


def test_webhook_selectors_exclude_kube_system_and_skip_label(default: Rendered) -> None:
    hook = _hook(default)
    assert hook["failurePolicy"] == "Ignore"               # upstream's default
    assert hook["sideEffects"] == "None" and hook["admissionReviewVersions"] == ["v1"]
    assert hook["rules"] == [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"],
                              "resources": ["pods"], "scope": "Namespaced"}]
    assert hook["namespaceSelector"] == {"matchExpressions": [
        {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["kube-system"]}]}
    assert hook["objectSelector"] == {"matchExpressions": [
        {"key": "eks.amazonaws.com/skip-pod-identity-webhook", "operator": "DoesNotExist"}]}
    assert hook["clientConfig"]["service"] == {"name": "podid-webhook", "namespace": "podid",
                                               "path": "/mutate", "port": 443}
    args = args_of(container(default.get("Deployment", "podid-webhook"), "webhook"))
    assert args["--namespace-exclude"] == "kube-system"
    assert args["--agent-daemonset"] == "podid/podid-agent"


def test_agent_signing_credentials_from_the_node_or_a_secret() -> None:
    for sets, names, env_from in (
            (("agent.signingCredentials=node",), {"AWS_REGION", "AWS_CA_BUNDLE"}, None),
            (("agent.awsCredentialsSecret=node-keys",), {"AWS_REGION", "AWS_CA_BUNDLE"},
             [{"secretRef": {"name": "node-keys"}}])):
        agent = container(render(*sets).get("DaemonSet", "podid-agent"), "agent")
        assert {e["name"] for e in agent["env"]} == names
        assert agent.get("envFrom") == env_from
    assert "agent.signingCredentials must be placeholder or node" in \
        render_error("agent.signingCredentials=x")


def test_failure_policy_is_configurable() -> None:
    assert _hook(render("webhook.failurePolicy=Fail"))["failurePolicy"] == "Fail"


def test_self_generated_ca_signs_both_serving_certificates(default: Rendered) -> None:
    hook = _hook(default)
    ca = x509.load_pem_x509_certificate(base64.b64decode(hook["clientConfig"]["caBundle"]))
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    for component in ("webhook", "broker"):
        secret = default.get("Secret", f"podid-{component}-tls")
        assert secret["type"] == "kubernetes.io/tls"
        assert secret["data"]["ca.crt"] == hook["clientConfig"]["caBundle"]
        cert = x509.load_pem_x509_certificate(base64.b64decode(secret["data"]["tls.crt"]))
        cert.verify_directly_issued_by(ca)            # raises if the CA did not sign it
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert f"podid-{component}.podid.svc" in sans.get_values_for_type(x509.DNSName)
        assert not [ipaddress.ip_address(i) for i in sans.get_values_for_type(x509.IPAddress)]


def test_cert_manager_issues_the_certificates_and_injects_the_ca() -> None:
    out = render("certManager.enabled=true")
    assert not out.of("Secret")                       # cert-manager writes them
    mwc = out.get("MutatingWebhookConfiguration", "podid-webhook")
    assert mwc["metadata"]["annotations"] == {"cert-manager.io/inject-ca-from": "podid/podid-webhook"}
    assert "caBundle" not in mwc["webhooks"][0]["clientConfig"]
    certs = {c["metadata"]["name"]: c["spec"] for c in out.of("Certificate")}
    assert set(certs) == {"podid-ca", "podid-webhook", "podid-broker"}
    assert certs["podid-ca"]["isCA"] is True
    issuers = {i["metadata"]["name"]: i["spec"] for i in out.of("Issuer")}
    assert issuers == {"podid-selfsigned": {"selfSigned": {}}, "podid-ca": {"ca": {"secretName": "podid-ca"}}}
    for component in ("webhook", "broker"):
        spec = certs[f"podid-{component}"]
        assert spec["secretName"] == f"podid-{component}-tls"
        assert spec["issuerRef"] == {"kind": "Issuer", "name": "podid-ca"}
        assert f"podid-{component}.podid.svc" in spec["dnsNames"]
    # the pods mount the Secrets cert-manager writes
    wh = out.get("Deployment", "podid-webhook")["spec"]["template"]["spec"]["volumes"]
    assert {"name": "certs", "secret": {"secretName": "podid-webhook-tls"}} in wh


# -- broker -----------------------------------------------------------------------------------------

def test_broker_two_replicas_behind_an_https_service_with_probes(default: Rendered) -> None:
    dep = default.get("Deployment", "podid-broker")
    assert dep["spec"]["replicas"] == 2
    broker = container(dep, "broker")
    args = args_of(broker)
    assert args["--tls-cert"] == "/etc/podid/tls/tls.crt" and args["--tls-key"] == "/etc/podid/tls/tls.key"
    assert args["--host"] == "0.0.0.0" and args["--port"] == "8443" and args["--region"] == "us-east-1"
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        assert broker[probe]["httpGet"] == {"path": path, "port": "https", "scheme": "HTTPS"}
    meta = dep["spec"]["template"]["metadata"]["annotations"]
    assert meta["prometheus.io/scrape"] == "true" and meta["prometheus.io/port"] == "8443"
    svc = default.get("Service", "podid-broker")["spec"]
    assert svc["ports"] == [{"name": "https", "port": 443, "targetPort": "https", "protocol": "TCP"}]
    assert svc["selector"] == dep["spec"]["selector"]["matchLabels"]
    assert dep["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True


def test_broker_endpoints_come_from_values() -> None:
    out = render("broker.stsEndpoint=https://sts.example:4566", "broker.eksEndpoint=https://eks.example:4566",
                 "broker.caBundleConfigMap=aws-ca")
    args = args_of(container(out.get("Deployment", "podid-broker"), "broker"))
    assert args["--sts-endpoint"] == "https://sts.example:4566"
    assert args["--eks-endpoint"] == "https://eks.example:4566"
    assert args["--ca-bundle"] == "/etc/podid/aws-ca/ca.crt"
    webhook_args = args_of(container(out.get("Deployment", "podid-webhook"), "webhook"))
    assert webhook_args["--eks-endpoint"] == "https://eks.example:4566"


def test_token_review_mode_binds_auth_delegator(default: Rendered) -> None:
    args = args_of(container(default.get("Deployment", "podid-broker"), "broker"))
    assert "--token-review" in args and "--issuer" not in args
    binding = default.get("ClusterRoleBinding", "podid-broker:auth-delegator")
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                  "name": "system:auth-delegator"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "podid-broker", "namespace": "podid"}]


def test_issuer_mode_reads_the_jwks_and_needs_no_token_review() -> None:
    out = render(*VARIANTS["issuer"])
    dep = out.get("Deployment", "podid-broker")
    args = args_of(container(dep, "broker"))
    assert args["--issuer"] == "https://oidc.example.com/id/ABC"
    assert args["--jwks-file"] == "/etc/podid/jwks/jwks.json" and "--token-review" not in args
    volumes = {v["name"]: v for v in dep["spec"]["template"]["spec"]["volumes"]}
    assert volumes["jwks"]["configMap"]["name"] == "cluster-jwks"
    assert "ClusterRoleBinding/podid-broker:auth-delegator" not in out.names()


def test_crd_associations_grant_read_of_podidentityassociations_only_then() -> None:
    out = render(*CRD_ASSOCIATIONS)
    broker_rules = out.get("ClusterRole", "podid-broker")["rules"]
    assert {"apiGroups": ["podid.dev"], "resources": ["podidentityassociations"],
            "verbs": ["get", "list", "watch"]} in broker_rules
    webhook_rules = out.get("ClusterRole", "podid-webhook")["rules"]
    assert {"apiGroups": ["podid.dev"], "resources": ["podidentityassociations"],
            "verbs": ["get", "list", "watch"]} in webhook_rules
    binding = out.get("ClusterRoleBinding", "podid-broker")
    assert binding["roleRef"]["name"] == "podid-broker"
    for name in ("podid-broker", "podid-webhook"):
        dep = out.get("Deployment", name)
        args = args_of(container(dep, name.removeprefix("podid-")))
        assert args["--associations"] == "crd"
    webhook_args = args_of(container(out.get("Deployment", "podid-webhook"), "webhook"))
    assert webhook_args["--cluster-arn"] == "arn:aws:eks:us-east-1:111122223333:cluster/my-cluster"
    default = render()
    assert "podidentityassociations" not in str([r.get("rules") for r in default.of("ClusterRole")])


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_rbac_is_least_privilege(variant: str) -> None:
    out = render(*VARIANTS[variant])
    allowed = {("", "serviceaccounts"): {"get"}, ("apps", "daemonsets"): {"get"},
               ("podid.dev", "podidentityassociations"): {"get", "list", "watch"}}
    for role in out.of("ClusterRole") + out.of("Role"):
        for rule in role["rules"]:
            for group in rule["apiGroups"]:
                for resource in rule["resources"]:
                    assert "*" not in (group, resource) and "*" not in rule["verbs"], role
                    assert set(rule["verbs"]) <= allowed[(group, resource)], (role["metadata"]["name"], rule)
    daemonset_rule = out.get("Role", "podid-webhook")["rules"][0]
    assert daemonset_rule["resourceNames"] == ["podid-agent"]
    for binding in out.of("ClusterRoleBinding"):
        assert binding["roleRef"]["name"] in ("system:auth-delegator", "podid-broker", "podid-webhook")


def test_crd_is_structural_with_printer_columns(default: Rendered) -> None:
    crd = default.get("CustomResourceDefinition", "podidentityassociations.podid.dev")["spec"]
    assert crd["group"] == "podid.dev" and crd["scope"] == "Namespaced"
    assert crd["names"] == {"kind": "PodIdentityAssociation", "listKind": "PodIdentityAssociationList",
                            "plural": "podidentityassociations", "singular": "podidentityassociation",
                            "shortNames": ["pia"], "categories": ["podid"]}
    (version,) = crd["versions"]
    assert version["name"] == "v1alpha1" and version["served"] and version["storage"]
    assert version["subresources"] == {"status": {}}
    schema = version["schema"]["openAPIV3Schema"]
    spec = schema["properties"]["spec"]
    assert spec["required"] == ["serviceAccount", "roleArn"]
    assert set(spec["properties"]) == {"serviceAccount", "roleArn", "targetRoleArn", "externalId",
                                       "disableSessionTags", "policy"}
    assert spec["properties"]["disableSessionTags"]["type"] == "boolean"
    assert set(schema["properties"]["status"]["properties"]) == {"associationId", "associationArn"}

    def structural(node: dict[str, Any], path: str) -> None:      # every node has a type
        assert "type" in node, path
        for key, child in node.get("properties", {}).items():
            structural(child, f"{path}.{key}")

    structural(schema, "openAPIV3Schema")
    columns = {c["name"]: c["jsonPath"] for c in version["additionalPrinterColumns"]}
    assert columns["Role"] == ".spec.roleArn" and columns["Service Account"] == ".spec.serviceAccount"


def test_shipped_crd_is_the_one_the_broker_and_webhook_read() -> None:
    """The chart's CRD (crds/) is podid.broker.association_crd.definition(), field for field."""
    import yaml

    from podid.broker.association_crd import definition

    shipped = [yaml.safe_load(p.read_text()) for p in sorted((CHART / "crds").glob("*.yaml"))]
    assert len(shipped) == 1
    crd = shipped[0]
    crd["metadata"].pop("labels", None)
    crd["metadata"].pop("annotations", None)
    assert crd == definition()

"""CustomResourceDefinitions, their objects, Services and RBAC kinds driven by the real kubectl."""

from __future__ import annotations

import json
import uuid

from tests.k8s.conftest import Cluster

CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: {plural}.{group}
spec:
  group: {group}
  scope: Namespaced
  names:
    kind: {kind}
    plural: {plural}
    singular: {singular}
    shortNames: [{short}]
  versions:
  - name: v1alpha1
    served: true
    storage: true
    subresources:
      status: {{}}
    additionalPrinterColumns:
    - name: Role
      type: string
      jsonPath: .spec.roleArn
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [serviceAccount, roleArn]
            properties:
              serviceAccount:
                type: string
                minLength: 1
              roleArn:
                type: string
                pattern: '^arn:aws[a-z-]*:iam::[0-9]{{12}}:role/.+$'
              disableSessionTags:
                type: boolean
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
"""


def _crd(cluster: Cluster) -> tuple[str, str, str]:
    suffix = uuid.uuid4().hex[:6]
    group, kind = f"t{suffix}.podid.dev", f"Assoc{suffix.capitalize()}"
    plural = f"assocs{suffix}"
    doc = CRD.format(group=group, kind=kind, plural=plural, singular=f"assoc{suffix}", short=f"as{suffix}")
    out = cluster.kubectl("apply", "-f", "-", stdin=doc, check=True).stdout
    assert f"customresourcedefinition.apiextensions.k8s.io/{plural}.{group} created" in out
    return group, kind, plural


def _object(group: str, kind: str, name: str, role: str = "arn:aws:iam::111122223333:role/app") -> str:
    return f"""
apiVersion: {group}/v1alpha1
kind: {kind}
metadata:
  name: {name}
  namespace: default
spec:
  serviceAccount: app
  roleArn: {role}
"""


def test_crd_is_established_and_its_kind_served(cluster: Cluster) -> None:
    group, kind, plural = _crd(cluster)
    cluster.kubectl("wait", "--for=condition=Established", f"crd/{plural}.{group}", "--timeout=10s",
                    check=True)
    resources = cluster.kubectl("api-resources", "--api-group", group, check=True).stdout
    assert plural in resources and kind in resources and "true" in resources  # namespaced
    out = cluster.kubectl("apply", "-f", "-", stdin=_object(group, kind, "one"), check=True).stdout
    assert f"{kind.lower()}.{group}/one created" in out
    again = cluster.kubectl("apply", "-f", "-", stdin=_object(group, kind, "one"), check=True).stdout
    assert "unchanged" in again
    table = cluster.kubectl("get", plural, "-n", "default", check=True).stdout
    assert table.split("\n")[0].split() == ["NAME", "ROLE"]
    assert "arn:aws:iam::111122223333:role/app" in table
    got = json.loads(cluster.kubectl("get", f"{plural}/one", "-n", "default", "-o", "json",
                                     check=True).stdout)
    assert got["apiVersion"] == f"{group}/v1alpha1" and got["spec"]["serviceAccount"] == "app"
    assert got["metadata"]["generation"] == 1


def test_custom_object_is_validated_against_the_schema(cluster: Cluster) -> None:
    group, kind, plural = _crd(cluster)
    bad = cluster.kubectl("apply", "-f", "-", stdin=_object(group, kind, "bad", role="not-an-arn"))
    assert bad.returncode != 0
    assert (f'The {kind} "bad" is invalid: spec.roleArn: Invalid value: "not-an-arn": spec.roleArn in body '
            "should match '^arn:aws") in bad.stderr
    missing = cluster.kubectl("create", "-f", "-", stdin=f"""
apiVersion: {group}/v1alpha1
kind: {kind}
metadata: {{name: missing, namespace: default}}
spec: {{serviceAccount: app}}
""")
    assert missing.returncode != 0 and "spec.roleArn: Required value" in missing.stderr
    typed = cluster.kubectl("create", "-f", "-", stdin=f"""
apiVersion: {group}/v1alpha1
kind: {kind}
metadata: {{name: typed, namespace: default}}
spec: {{serviceAccount: app, roleArn: "arn:aws:iam::111122223333:role/a", disableSessionTags: "yes"}}
""")
    assert typed.returncode != 0
    assert "spec.disableSessionTags in body must be of type boolean" in typed.stderr
    unknown = cluster.kubectl("apply", "-f", "-", stdin=_object(group, kind, "unknown") + "  extra: 1\n")
    assert unknown.returncode != 0 and 'unknown field "spec.extra"' in unknown.stderr
    listed = cluster.kubectl("get", plural, "-A", "-o", "name", check=True).stdout
    assert listed.strip() == ""  # nothing was created by the rejected requests


def test_deleting_the_crd_deletes_its_objects_and_stops_serving(cluster: Cluster) -> None:
    group, kind, plural = _crd(cluster)
    cluster.kubectl("apply", "-f", "-", stdin=_object(group, kind, "gone"), check=True)
    cluster.kubectl("delete", "crd", f"{plural}.{group}", check=True)
    out = cluster.kubectl("get", plural, "-A")
    # kubectl's discovery cache may still know the type; the server no longer serves it either way
    assert out.returncode != 0
    assert (f'the server doesn\'t have a resource type "{plural}"' in out.stderr
            or "the server could not find the requested resource" in out.stderr)
    _crd_again = CRD.format(group=group, kind=kind, plural=plural, singular=f"x{plural}", short=f"y{plural}")
    cluster.kubectl("apply", "-f", "-", stdin=_crd_again, check=True)
    assert cluster.kubectl("get", plural, "-A", "-o", "name", check=True).stdout.strip() == ""


def test_bad_crd_is_rejected_with_kubernetes_causes(cluster: Cluster) -> None:
    doc = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: wrong.example.com}
spec:
  group: example.com
  scope: Galaxy
  names: {kind: Thing, plural: things}
  versions:
  - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}
"""
    out = cluster.kubectl("apply", "-f", "-", stdin=doc)
    assert out.returncode != 0
    assert 'metadata.name: Invalid value: "wrong.example.com": must be spec.names.plural+"."+spec.group' \
        in out.stderr
    assert 'spec.scope: Unsupported value: "Galaxy"' in out.stderr


def test_services_and_rbac_kinds_apply(cluster: Cluster) -> None:
    name = f"svc-{uuid.uuid4().hex[:6]}"
    doc = f"""
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: default}}
spec:
  selector: {{app: {name}}}
  ports: [{{name: https, port: 443, targetPort: 8443}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: {name}}}
rules:
- apiGroups: [""]
  resources: [serviceaccounts]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: {name}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:auth-delegator}}
subjects: [{{kind: ServiceAccount, name: {name}, namespace: default}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: {name}, namespace: default}}
rules: [{{apiGroups: [""], resources: [secrets], verbs: [get], resourceNames: [{name}]}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: {name}, namespace: default}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: {name}}}
subjects: [{{kind: ServiceAccount, name: {name}, namespace: default}}]
"""
    out = cluster.kubectl("apply", "--validate=strict", "-f", "-", stdin=doc, check=True).stdout
    rbac = "rbac.authorization.k8s.io"
    for kind in ("service", f"clusterrole.{rbac}", f"clusterrolebinding.{rbac}", f"role.{rbac}",
                 f"rolebinding.{rbac}"):
        assert f"{kind}/{name} created" in out
    assert "unchanged" in cluster.kubectl("apply", "-f", "-", stdin=doc, check=True).stdout
    svc = json.loads(cluster.kubectl("get", "svc", name, "-o", "json", check=True).stdout)
    assert svc["spec"]["type"] == "ClusterIP" and svc["spec"]["clusterIP"].startswith("10.")
    assert svc["spec"]["ports"][0] == {"name": "https", "port": 443, "protocol": "TCP", "targetPort": 8443}
    bad = cluster.kubectl("apply", "--validate=strict", "-f", "-", stdin=doc.replace("verbs: [get]\n---",
                                                                                     "verbz: [get]\n---", 1))
    assert bad.returncode != 0 and 'unknown field "rules[0].verbz"' in bad.stderr

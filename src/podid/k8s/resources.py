"""The resource types this API server serves, with the metadata discovery and routing need."""

from __future__ import annotations

from dataclasses import dataclass

STANDARD_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class ResourceType:
    """One served resource (``group`` is ``""`` for the core group)."""

    group: str
    version: str
    resource: str
    kind: str
    namespaced: bool
    singular: str
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = STANDARD_VERBS
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def api_version(self) -> str:
        return self.group_version

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def storable(self) -> bool:
        return "create" in self.verbs and "get" in self.verbs


CORE = ""
APPS = "apps"
AUTHN = "authentication.k8s.io"
BATCH = "batch"
ADMISSIONREG = "admissionregistration.k8s.io"
RBAC = "rbac.authorization.k8s.io"
APIEXTENSIONS = "apiextensions.k8s.io"

RESOURCES: tuple[ResourceType, ...] = (
    ResourceType(
        CORE,
        "v1",
        "namespaces",
        "Namespace",
        False,
        "namespace",
        ("ns",),
        ("create", "delete", "get", "list", "patch", "update", "watch"),
        ("all",),
    ),
    ResourceType(
        CORE,
        "v1",
        "serviceaccounts",
        "ServiceAccount",
        True,
        "serviceaccount",
        ("sa",),
        subresources=("token",),
    ),
    ResourceType(
        CORE,
        "v1",
        "pods",
        "Pod",
        True,
        "pod",
        ("po",),
        categories=("all",),
        subresources=("exec", "log", "status"),
    ),
    ResourceType(CORE, "v1", "secrets", "Secret", True, "secret"),
    ResourceType(CORE, "v1", "configmaps", "ConfigMap", True, "configmap", ("cm",)),
    ResourceType(CORE, "v1", "events", "Event", True, "event", ("ev",)),
    ResourceType(CORE, "v1", "services", "Service", True, "service", ("svc",), categories=("all",),
                 subresources=("status",)),
    ResourceType(
        APPS,
        "v1",
        "daemonsets",
        "DaemonSet",
        True,
        "daemonset",
        ("ds",),
        categories=("all",),
        subresources=("status",),
    ),
    ResourceType(
        APPS,
        "v1",
        "deployments",
        "Deployment",
        True,
        "deployment",
        ("deploy",),
        categories=("all",),
        subresources=("scale", "status"),
    ),
    ResourceType(
        APPS,
        "v1",
        "replicasets",
        "ReplicaSet",
        True,
        "replicaset",
        ("rs",),
        categories=("all",),
        subresources=("scale", "status"),
    ),
    ResourceType(BATCH, "v1", "jobs", "Job", True, "job", (), categories=("all",), subresources=("status",)),
    ResourceType(ADMISSIONREG, "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", False,
                 "mutatingwebhookconfiguration", ("mutatingwebhookconfiguration",)),
    ResourceType(RBAC, "v1", "clusterroles", "ClusterRole", False, "clusterrole"),
    ResourceType(RBAC, "v1", "clusterrolebindings", "ClusterRoleBinding", False, "clusterrolebinding"),
    ResourceType(RBAC, "v1", "roles", "Role", True, "role"),
    ResourceType(RBAC, "v1", "rolebindings", "RoleBinding", True, "rolebinding"),
    ResourceType(APIEXTENSIONS, "v1", "customresourcedefinitions", "CustomResourceDefinition", False,
                 "customresourcedefinition", ("crd", "crds"), categories=("api-extensions",),
                 subresources=("status",)),
    ResourceType(AUTHN, "v1", "tokenreviews", "TokenReview", False, "tokenreview", (), ("create",)),
    ResourceType(AUTHN, "v1", "selfsubjectreviews", "SelfSubjectReview", False, "selfsubjectreview", (),
                 ("create",)),
)

def _core(resource: str) -> ResourceType:
    return next(rt for rt in RESOURCES if rt.group == CORE and rt.resource == resource)


NAMESPACES = _core("namespaces")
SERVICEACCOUNTS = _core("serviceaccounts")
PODS = _core("pods")
EVENTS = _core("events")
CONFIGMAPS = _core("configmaps")

SUBRESOURCE_KINDS = {
    ("serviceaccounts", "token"): ("authentication.k8s.io", "v1", "TokenRequest", ("create",)),
    ("pods", "exec"): ("", "v1", "PodExecOptions", ("create", "get")),
    ("pods", "log"): ("", "v1", "Pod", ("get",)),
    ("pods", "status"): ("", "v1", "Pod", ("get", "patch", "update")),
    ("daemonsets", "status"): ("apps", "v1", "DaemonSet", ("get", "patch", "update")),
    ("deployments", "status"): ("apps", "v1", "Deployment", ("get", "patch", "update")),
    ("deployments", "scale"): ("autoscaling", "v1", "Scale", ("get", "patch", "update")),
    ("replicasets", "status"): ("apps", "v1", "ReplicaSet", ("get", "patch", "update")),
    ("replicasets", "scale"): ("autoscaling", "v1", "Scale", ("get", "patch", "update")),
    ("jobs", "status"): ("batch", "v1", "Job", ("get", "patch", "update")),
    ("services", "status"): ("", "v1", "Service", ("get", "patch", "update")),
    ("customresourcedefinitions", "status"): (APIEXTENSIONS, "v1", "CustomResourceDefinition",
                                              ("get", "patch", "update")),
}

GROUP_VERSIONS: tuple[tuple[str, str], ...] = (
    (APPS, "v1"), (AUTHN, "v1"), (BATCH, "v1"), (ADMISSIONREG, "v1"), (RBAC, "v1"), (APIEXTENSIONS, "v1"))


def subresource_kind(rt: ResourceType, sub: str) -> tuple[str, str, str, tuple[str, ...]]:
    """(group, version, kind, verbs) of ``rt``'s subresource ``sub`` (a custom resource's ``status``
    is its own kind)."""
    known = SUBRESOURCE_KINDS.get((rt.resource, sub))
    if known is not None and rt.group in ("", APPS, BATCH, APIEXTENSIONS):
        return known
    return rt.group, rt.version, rt.kind, ("get", "patch", "update")


def find(group: str, version: str, resource: str) -> ResourceType | None:
    for rt in RESOURCES:
        if rt.group == group and rt.version == version and rt.resource == resource:
            return rt
    return None


def by_kind(api_version: str, kind: str) -> ResourceType | None:
    for rt in RESOURCES:
        if rt.api_version == api_version and rt.kind == kind:
            return rt
    return None


def in_group_version(group: str, version: str) -> list[ResourceType]:
    return [rt for rt in RESOURCES if rt.group == group and rt.version == version]

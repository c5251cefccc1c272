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
    ResourceType(AUTHN, "v1", "tokenreviews", "TokenReview", False, "tokenreview", (), ("create",)),
    ResourceType(AUTHN, "v1", "selfsubjectreviews", "SelfSubjectReview", False, "selfsubjectreview", (),
                 ("create",)),
)

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
}

GROUP_VERSIONS: tuple[tuple[str, str], ...] = (
    (APPS, "v1"), (AUTHN, "v1"), (BATCH, "v1"), (ADMISSIONREG, "v1"))


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

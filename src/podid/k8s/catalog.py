"""The resource types one cluster serves: the built-in ones (:data:`podid.k8s.resources.RESOURCES`)
plus those its established CustomResourceDefinitions add.

CRDs are read from the store on each lookup that misses the built-ins, so a CRD created through
one replica is served by every replica sharing the store, and a deleted CRD stops being served at
once.
"""

from __future__ import annotations

from podid.k8s import crd as crds
from podid.k8s.resources import APIEXTENSIONS, GROUP_VERSIONS, RESOURCES, ResourceType
from podid.k8s.store import ObjectStore

CRD_RESOURCE = "customresourcedefinitions"


class TypeCatalog:
    """Look-ups over the built-in and custom resource types of one store."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    def custom(self) -> list[crds.CustomResourceType]:
        items, _ = self.store.list(APIEXTENSIONS, CRD_RESOURCE, None)
        out: list[crds.CustomResourceType] = []
        for item in items:
            if (item.get("metadata") or {}).get("deletionTimestamp"):
                continue
            out.extend(crds.resource_types(item))
        return out

    def all(self) -> list[ResourceType]:
        return [*RESOURCES, *self.custom()]

    def find(self, group: str, version: str, resource: str) -> ResourceType | None:
        for rt in RESOURCES:
            if rt.group == group and rt.version == version and rt.resource == resource:
                return rt
        if "." not in group:  # every CRD group has a dot; built-in groups never miss here
            return None
        for custom in self.custom():
            if custom.group == group and custom.version == version and custom.resource == resource:
                return custom
        return None

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        for rt in self.all():
            if rt.api_version == api_version and rt.kind == kind:
                return rt
        return None

    def group_versions(self) -> list[tuple[str, str]]:
        out = list(GROUP_VERSIONS)
        for custom in self.custom():
            if (custom.group, custom.version) not in out:
                out.append((custom.group, custom.version))
        return out

    def in_group_version(self, group: str, version: str) -> list[ResourceType]:
        return [rt for rt in self.all() if rt.group == group and rt.version == version]

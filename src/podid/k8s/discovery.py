"""Discovery documents: ``/version``, ``/api``, ``/apis``, per-group resource lists, and the
aggregated discovery (``apidiscovery.k8s.io/v2``) kubectl 1.32 asks for first."""

from __future__ import annotations

from typing import Any

from podid.k8s.catalog import TypeCatalog
from podid.k8s.resources import ResourceType, subresource_kind

AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
AGGREGATED_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"

VERSION_INFO = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0-podid",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2025-01-01T00:00:00Z",
    "goVersion": "go1.23.4",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def api_versions() -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
    }


def api_group_list(catalog: TypeCatalog) -> dict[str, Any]:
    groups = []
    for group, version in catalog.group_versions():
        gv = {"groupVersion": f"{group}/{version}", "version": version}
        groups.append({"name": group, "versions": [gv], "preferredVersion": gv})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(group: str, catalog: TypeCatalog) -> dict[str, Any] | None:
    for g in api_group_list(catalog)["groups"]:
        if g["name"] == group:
            return {"kind": "APIGroup", "apiVersion": "v1", **g}
    return None


def _resource_entries(rt: ResourceType) -> list[dict[str, Any]]:
    entry: dict[str, Any] = {
        "name": rt.resource,
        "singularName": rt.singular,
        "namespaced": rt.namespaced,
        "kind": rt.kind,
        "verbs": list(rt.verbs),
    }
    if rt.short_names:
        entry["shortNames"] = list(rt.short_names)
    if rt.categories:
        entry["categories"] = list(rt.categories)
    out = [entry]
    for sub in rt.subresources:
        group, version, kind, verbs = subresource_kind(rt, sub)
        sub_entry: dict[str, Any] = {
            "name": f"{rt.resource}/{sub}",
            "singularName": "",
            "namespaced": rt.namespaced,
            "kind": kind,
            "verbs": list(verbs),
        }
        if group != rt.group:
            sub_entry["group"], sub_entry["version"] = group, version
        out.append(sub_entry)
    return out


def api_resource_list(group: str, version: str, catalog: TypeCatalog) -> dict[str, Any] | None:
    types = catalog.in_group_version(group, version)
    if not types:
        return None
    resources = [e for rt in types for e in _resource_entries(rt)]
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }


def _aggregated_resource(rt: ResourceType) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resource": rt.resource,
        "responseKind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
        "scope": "Namespaced" if rt.namespaced else "Cluster",
        "singularResource": rt.singular,
        "verbs": list(rt.verbs),
    }
    if rt.short_names:
        out["shortNames"] = list(rt.short_names)
    if rt.categories:
        out["categories"] = list(rt.categories)
    subs = []
    for sub in rt.subresources:
        group, version, kind, verbs = subresource_kind(rt, sub)
        subs.append(
            {
                "subresource": sub,
                "responseKind": {"group": group, "version": version, "kind": kind},
                "verbs": list(verbs),
            }
        )
    if subs:
        out["subresources"] = subs
    return out


def aggregated(
    core: bool, catalog: TypeCatalog, api_version: str = "apidiscovery.k8s.io/v2"
) -> dict[str, Any]:
    """``APIGroupDiscoveryList`` for ``/api`` (core=True) or ``/apis``."""
    groups: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for rt in catalog.all():
        if (rt.group == "") != core:
            continue
        groups.setdefault(rt.group, {}).setdefault(rt.version, []).append(_aggregated_resource(rt))
    items = []
    for name, versions in groups.items():
        items.append(
            {
                "metadata": {"name": name, "creationTimestamp": None},
                "versions": [
                    {"version": v, "resources": res, "freshness": "Current"} for v, res in versions.items()
                ],
            }
        )
    return {"kind": "APIGroupDiscoveryList", "apiVersion": api_version, "metadata": {}, "items": items}


def wants_aggregated(accept: str) -> str | None:
    """The aggregated media type to answer with, if the Accept header asks for one."""
    for part in accept.split(","):
        params = {p.strip() for p in part.split(";")}
        if "as=APIGroupDiscoveryList" in params and "g=apidiscovery.k8s.io" in params:
            if "v=v2" in params:
                return AGGREGATED_V2
            if "v=v2beta1" in params:
                return AGGREGATED_V2BETA1
    return None

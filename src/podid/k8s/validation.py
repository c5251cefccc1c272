"""Validation of the served kinds, returning field causes worded as kube-apiserver words them."""

from __future__ import annotations

import json
import re
from typing import Any

from podid.k8s.errors import Cause, duplicate, forbidden_field, invalid_value, required, unsupported_value

DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
    "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")

# Resources whose names must be DNS-1123 labels rather than subdomains.
LABEL_NAMED = frozenset({"namespaces"})
# RBAC objects are named by path segments (``system:auth-delegator``), as ValidateRBACName does.
PATH_SEGMENT_NAMED = frozenset({"roles", "rolebindings", "clusterroles", "clusterrolebindings"})


def validate_name(resource: str, name: Any, path: str = "metadata.name") -> list[Cause]:
    if not name:
        return [required(path)]
    if not isinstance(name, str):
        return [invalid_value(path, name, "must be a string")]
    if resource in PATH_SEGMENT_NAMED:
        if name in (".", ".."):
            return [invalid_value(path, name, f"may not be '{name}'")]
        for bad in ("/", "%"):
            if bad in name:
                return [invalid_value(path, name, f"may not contain '{bad}'")]
        return []
    if resource in LABEL_NAMED:
        if len(name) > 63:
            return [invalid_value(path, name, "must be no more than 63 characters")]
        if not DNS1123_LABEL.match(name):
            return [invalid_value(path, name, _LABEL_MSG)]
    else:
        if len(name) > 253:
            return [invalid_value(path, name, "must be no more than 253 characters")]
        if not DNS1123_SUBDOMAIN.match(name):
            return [invalid_value(path, name, _SUBDOMAIN_MSG)]
    return []


def validate_meta(resource: str, obj: dict[str, Any]) -> list[Cause]:
    meta = obj.get("metadata") or {}
    causes: list[Cause] = []
    if not meta.get("name") and not meta.get("generateName"):
        causes.append(Cause("FieldValueRequired", "name or generateName is required", "metadata.name"))
    else:
        causes += validate_name(resource, meta.get("name"))
    for key, value in (meta.get("labels") or {}).items():
        path = "metadata.labels"
        name = key.rsplit("/", 1)[-1]
        if not _QUALIFIED_NAME.match(name) or len(name) > 63:
            causes.append(
                invalid_value(
                    path,
                    key,
                    "name part must consist of alphanumeric characters, "
                    "'-', '_' or '.', and must start and end with an alphanumeric "
                    "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
                    "used for validation is "
                    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
                )
            )
        if not isinstance(value, str) or not _LABEL_VALUE.match(value) or len(value) > 63:
            causes.append(
                invalid_value(
                    path,
                    value,
                    "a valid label must be an empty string or consist of "
                    "alphanumeric characters, '-', '_' or '.', and must start and end "
                    "with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  "
                    "or '12345', regex used for validation is "
                    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
                )
            )
    for key, value in (meta.get("annotations") or {}).items():
        if not isinstance(value, str):
            causes.append(invalid_value(f"metadata.annotations[{key}]", value, "must be a string"))
    return causes


def _containers(spec: dict[str, Any], key: str, required_list: bool) -> list[Cause]:
    causes: list[Cause] = []
    items = spec.get(key)
    if not items:
        return [required(f"spec.{key}")] if required_list else []
    seen: set[str] = set()
    for i, c in enumerate(items):
        base = f"spec.{key}[{i}]"
        if not isinstance(c, dict):
            causes.append(invalid_value(base, c, "must be an object"))
            continue
        name = c.get("name")
        if not name:
            causes.append(required(f"{base}.name"))
        elif not isinstance(name, str) or not DNS1123_LABEL.match(name):
            causes.append(invalid_value(f"{base}.name", name, _LABEL_MSG))
        elif name in seen:
            causes.append(duplicate(f"{base}.name", name))
        else:
            seen.add(name)
        if not c.get("image") and key != "ephemeralContainers":
            causes.append(required(f"{base}.image"))
        policy = c.get("imagePullPolicy")
        if policy is not None and policy not in ("Always", "IfNotPresent", "Never"):
            causes.append(
                unsupported_value(f"{base}.imagePullPolicy", policy, ["Always", "IfNotPresent", "Never"])
            )
        env_seen: set[str] = set()
        for j, env in enumerate(c.get("env") or []):
            if not isinstance(env, dict) or not env.get("name"):
                causes.append(required(f"{base}.env[{j}].name"))
            env_seen.add(str(env.get("name")) if isinstance(env, dict) else "")
        volumes = {v.get("name") for v in spec.get("volumes") or [] if isinstance(v, dict)}
        for j, mount in enumerate(c.get("volumeMounts") or []):
            if not isinstance(mount, dict):
                continue
            if not mount.get("name"):
                causes.append(required(f"{base}.volumeMounts[{j}].name"))
            elif mount["name"] not in volumes:
                causes.append(
                    Cause(
                        "FieldValueNotFound",
                        f'Not found: "{mount["name"]}"',
                        f"{base}.volumeMounts[{j}].name",
                    )
                )
            if not mount.get("mountPath"):
                causes.append(required(f"{base}.volumeMounts[{j}].mountPath"))
    return causes


def validate_pod_spec(spec: Any) -> list[Cause]:
    if not isinstance(spec, dict):
        return [required("spec.containers")]
    causes = _containers(spec, "containers", True) + _containers(spec, "initContainers", False)
    policy = spec.get("restartPolicy")
    if policy not in (None, "Always", "OnFailure", "Never"):
        causes.append(unsupported_value("spec.restartPolicy", policy, ["Always", "OnFailure", "Never"]))
    dns = spec.get("dnsPolicy")
    if dns not in (None, "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"):
        causes.append(
            unsupported_value(
                "spec.dnsPolicy", dns, ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
            )
        )
    seen: set[str] = set()
    for i, vol in enumerate(spec.get("volumes") or []):
        if not isinstance(vol, dict) or not vol.get("name"):
            causes.append(required(f"spec.volumes[{i}].name"))
        elif vol["name"] in seen:
            causes.append(duplicate(f"spec.volumes[{i}].name", vol["name"]))
        else:
            seen.add(vol["name"])
    sa = spec.get("serviceAccountName")
    if sa:
        causes += validate_name("serviceaccounts", sa, "spec.serviceAccountName")
    return causes


POD_UPDATE_MESSAGE = (
    "pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
    "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
    "(allow it to be set to 1 if it was previously negative)"
)


def _mutable_view(spec: dict[str, Any]) -> dict[str, Any]:
    view = json.loads(json.dumps(spec))
    for key in ("containers", "initContainers"):
        for c in view.get(key) or []:
            if isinstance(c, dict):
                c.pop("image", None)
    for key in ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds"):
        view.pop(key, None)
    return view


def validate_pod_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    causes = validate_pod_spec(new.get("spec"))
    if causes:
        return causes
    if _mutable_view(new.get("spec") or {}) != _mutable_view(old.get("spec") or {}):
        return [forbidden_field("spec", POD_UPDATE_MESSAGE)]
    old_tol = old.get("spec", {}).get("tolerations") or []
    new_tol = new.get("spec", {}).get("tolerations") or []
    if any(t not in new_tol for t in old_tol):
        return [
            forbidden_field(
                "spec.tolerations", "existing toleration can not be modified except its tolerationSeconds"
            )
        ]
    return []


def validate_workload(obj: dict[str, Any]) -> list[Cause]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [required("spec.selector"), required("spec.template.spec.containers")]
    causes: list[Cause] = []
    selector = spec.get("selector")
    if not selector:
        causes.append(required("spec.selector"))
    tmpl = spec.get("template") or {}
    labels = (tmpl.get("metadata") or {}).get("labels") or {}
    match = (selector or {}).get("matchLabels") or {}
    if selector and any(labels.get(k) != v for k, v in match.items()):
        causes.append(
            invalid_value(
                "spec.template.metadata.labels", labels, "`selector` does not match template `labels`"
            )
        )
    pod_causes = validate_pod_spec(tmpl.get("spec"))
    causes += [
        Cause(c.reason, c.message, c.field.replace("spec.", "spec.template.spec.", 1)) for c in pod_causes
    ]
    return causes


def validate_job(obj: dict[str, Any]) -> list[Cause]:
    causes = validate_workload(obj)
    tmpl_spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    restart = tmpl_spec.get("restartPolicy", "Always")
    if restart not in ("Never", "OnFailure"):
        causes.append(unsupported_value("spec.template.spec.restartPolicy", restart, ["OnFailure", "Never"]))
    return causes


def validate_secret(obj: dict[str, Any]) -> list[Cause]:
    causes: list[Cause] = []
    for key in obj.get("data") or {}:
        if not re.match(r"^[-._a-zA-Z0-9]+$", key):
            causes.append(
                invalid_value(
                    f"data[{key}]",
                    key,
                    "a valid config key must consist of "
                    "alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  "
                    "or 'KEY_NAME',  or 'key-name', regex used for validation is "
                    "'[-._a-zA-Z0-9]+')",
                )
            )
    return causes


def validate(resource: str, obj: dict[str, Any], old: dict[str, Any] | None = None) -> list[Cause]:
    """All causes for ``obj`` (``old`` given on update)."""
    causes = validate_meta(resource, obj)
    if resource == "pods":
        causes += validate_pod_update(obj, old) if old is not None else validate_pod_spec(obj.get("spec"))
    elif resource in ("deployments", "daemonsets", "replicasets"):
        causes += validate_workload(obj)
        replicas = (obj.get("spec") or {}).get("replicas")
        if isinstance(replicas, int) and replicas < 0:
            causes.append(invalid_value("spec.replicas", replicas, "must be greater than or equal to 0"))
    elif resource == "jobs":
        causes += validate_job(obj)
    elif resource in ("secrets", "configmaps"):
        causes += validate_secret(obj)
    if old is not None:
        old_meta, new_meta = old.get("metadata") or {}, obj.get("metadata") or {}
        if new_meta.get("uid") and new_meta.get("uid") != old_meta.get("uid"):
            causes.append(invalid_value("metadata.uid", new_meta.get("uid"), "field is immutable"))
    return causes

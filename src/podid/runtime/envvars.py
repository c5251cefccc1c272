"""A container's environment, built from nothing.

Kubernetes semantics: ``envFrom`` first, then ``env`` in order with ``$(VAR)`` expansion against
what is already defined (``$$`` escapes); ``valueFrom`` reads the pod (``fieldRef``), ConfigMaps and
Secrets (from the cluster's :class:`~podid.k8s.store.ObjectStore`). A missing non-optional reference
raises :class:`ConfigError`, reported as ``CreateContainerConfigError`` like the kubelet does.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any

from podid.k8s.store import ObjectStore

_REF = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")
_SUBSCRIPT = re.compile(r"^metadata\.(labels|annotations)\['(.+)'\]$")


class ConfigError(Exception):
    """A container's env/volume references something that does not exist."""


def expand(value: str, env: Mapping[str, str]) -> str:
    """Kubernetes' ``$(VAR)`` expansion; unknown references stay as written."""

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1)
        return env[name] if name in env else m.group(0)

    return _REF.sub(sub, value)


def field_value(pod: Mapping[str, Any], path: str, pod_ip: str, host_ip: str) -> str:
    """The downward API: ``metadata.name`` & co., ``spec.*`` and ``status.*IP``."""
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    simple = {
        "metadata.name": meta.get("name"),
        "metadata.namespace": meta.get("namespace"),
        "metadata.uid": meta.get("uid"),
        "spec.nodeName": spec.get("nodeName"),
        "spec.serviceAccountName": spec.get("serviceAccountName") or "default",
        "status.podIP": pod_ip,
        "status.podIPs": pod_ip,
        "status.hostIP": host_ip,
        "status.hostIPs": host_ip,
    }
    if path in simple:
        return str(simple[path] or "")
    m = _SUBSCRIPT.match(path)
    if m:
        return str((meta.get(m.group(1)) or {}).get(m.group(2), ""))
    if path in ("metadata.labels", "metadata.annotations"):
        items = meta.get(path.split(".")[1]) or {}
        return "\n".join(f'{k}="{v}"' for k, v in sorted(items.items()))
    raise ConfigError(f'unsupported fieldPath "{path}"')


def _object_data(store: ObjectStore, kind: str, namespace: str, name: str) -> dict[str, str] | None:
    obj = store.get("", "secrets" if kind == "secret" else "configmaps", namespace, name)
    if obj is None:
        return None
    if kind == "secret":
        return {k: base64.b64decode(v).decode("utf-8", "replace") for k, v in (obj.get("data") or {}).items()}
    data = {k: str(v) for k, v in (obj.get("data") or {}).items()}
    for k, v in (obj.get("binaryData") or {}).items():
        data[k] = base64.b64decode(v).decode("utf-8", "replace")
    return data


def key_ref(store: ObjectStore, namespace: str, kind: str, ref: Mapping[str, Any]) -> str | None:
    """Value of a ``secretKeyRef``/``configMapKeyRef``; None when optional and missing."""
    name, key, optional = ref.get("name", ""), ref.get("key", ""), bool(ref.get("optional"))
    data = _object_data(store, kind, namespace, name)
    label = "secret" if kind == "secret" else "configmap"
    if data is None:
        if optional:
            return None
        raise ConfigError(f'{label} "{name}" not found')
    if key not in data:
        if optional:
            return None
        raise ConfigError(f"couldn't find key {key} in {'Secret' if kind == 'secret' else 'ConfigMap'} "
                          f"{namespace}/{name}")
    return data[key]


def container_env(
    pod: Mapping[str, Any],
    container: Mapping[str, Any],
    store: ObjectStore,
    base: Mapping[str, str],
    pod_ip: str,
    host_ip: str,
) -> dict[str, str]:
    """``base`` (the runtime's defaults) overlaid with the container's envFrom and env."""
    namespace = (pod.get("metadata") or {}).get("namespace", "default")
    env = dict(base)
    for src in container.get("envFrom") or []:
        prefix = src.get("prefix") or ""
        for kind, ref in (("configmap", src.get("configMapRef")), ("secret", src.get("secretRef"))):
            if not ref:
                continue
            data = _object_data(store, kind, namespace, ref.get("name", ""))
            if data is None:
                if ref.get("optional"):
                    continue
                raise ConfigError(f'{"secret" if kind == "secret" else "configmap"} "{ref.get("name")}" '
                                  "not found")
            for k, v in data.items():
                env[prefix + k] = v
    for item in container.get("env") or []:
        name = item.get("name")
        if not name:
            continue
        src = item.get("valueFrom")
        if not src:
            env[name] = expand(str(item.get("value") or ""), env)
            continue
        value: str | None
        if src.get("fieldRef"):
            value = field_value(pod, src["fieldRef"].get("fieldPath", ""), pod_ip, host_ip)
        elif src.get("secretKeyRef"):
            value = key_ref(store, namespace, "secret", src["secretKeyRef"])
        elif src.get("configMapKeyRef"):
            value = key_ref(store, namespace, "configmap", src["configMapKeyRef"])
        elif src.get("resourceFieldRef"):
            value = "0"
        else:
            value = None
        if value is not None:
            env[name] = value
    return env

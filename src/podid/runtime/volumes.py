"""Materialise a pod's volumes under its directory, and keep projected tokens fresh.

Supported: ``emptyDir``, ``hostPath``, ``configMap``, ``secret``, ``downwardAPI`` and ``projected``
(``serviceAccountToken``, ``configMap``, ``secret``, ``downwardAPI`` sources). Files are written
atomically (temp file + rename in the same directory) with the item's ``mode`` or the volume's
``defaultMode`` (420 = 0644). Token files carry the JWT only - no trailing newline (SDKs send the
file verbatim as a header value). Tokens are re-issued once ``ratio`` of their lifetime has passed
(the kubelet uses 80%).
"""

from __future__ import annotations

import base64
import contextlib
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podid.k8s.store import ObjectStore
from podid.k8s.tokens import TokenIssuer
from podid.runtime.envvars import ConfigError, field_value
from podid.runtime.layout import PodPaths

DEFAULT_MODE = 0o644
DEFAULT_TOKEN_SECONDS = 3600
MIN_TOKEN_SECONDS = 600


class VolumeError(Exception):
    """A volume cannot be set up (reported as a FailedMount event; retried)."""


def write_atomic(path: Path, data: bytes, mode: int = DEFAULT_MODE) -> None:
    """Replace ``path`` with ``data`` atomically (readers see the old or the new file, never half)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@dataclass
class ProjectedToken:
    """One ``serviceAccountToken`` projection: where it goes and when it was issued."""

    path: Path
    mode: int
    audiences: tuple[str, ...]
    seconds: int
    issued_at: float = 0.0
    expires_at: float = 0.0

    def due(self, now: float, ratio: float) -> bool:
        return now >= self.issued_at + ratio * (self.expires_at - self.issued_at)


def _safe_join(base: Path, rel: str) -> Path:
    if not rel or rel.startswith("/") or ".." in Path(rel).parts:
        raise VolumeError(f'invalid item path "{rel}"')
    return base / rel


class VolumeBuilder:
    """Creates the volumes of one pod; :meth:`refresh` re-issues a projected token."""

    def __init__(
        self,
        pod: Mapping[str, Any],
        paths: PodPaths,
        store: ObjectStore,
        issuer: TokenIssuer | None,
        pod_ip: str,
        host_ip: str,
    ) -> None:
        self.pod = pod
        self.paths = paths
        self.store = store
        self.issuer = issuer
        self.pod_ip = pod_ip
        self.host_ip = host_ip
        meta = pod.get("metadata") or {}
        self.namespace = str(meta.get("namespace") or "default")
        self.tokens: list[ProjectedToken] = []

    def setup(self) -> dict[str, Path]:
        """Create every volume; return ``volume name -> host directory`` (hostPath: the host path)."""
        out: dict[str, Path] = {}
        self.tokens = []
        for vol in (self.pod.get("spec") or {}).get("volumes") or []:
            name = vol.get("name", "")
            try:
                out[name] = self._volume(vol)
            except ConfigError as exc:
                raise VolumeError(f'MountVolume.SetUp failed for volume "{name}" : {exc}') from exc
            except VolumeError as exc:
                raise VolumeError(f'MountVolume.SetUp failed for volume "{name}" : {exc}') from exc
        return out

    def _volume(self, vol: Mapping[str, Any]) -> Path:
        name = vol["name"]
        target = self.paths.volume(name)
        if "hostPath" in vol:
            host = Path(vol["hostPath"].get("path", ""))
            kind = vol["hostPath"].get("type") or ""
            if kind == "DirectoryOrCreate":
                host.mkdir(parents=True, exist_ok=True)
            elif kind == "FileOrCreate" and not host.exists():
                host.parent.mkdir(parents=True, exist_ok=True)
                host.touch()
            elif kind and not host.exists():
                raise VolumeError(f"hostPath type check failed: {host} does not exist")
            return host
        target.mkdir(parents=True, exist_ok=True)
        if "emptyDir" in vol:
            return target
        if "configMap" in vol:
            src = vol["configMap"]
            self._keys(target, "configmap", src, int(src.get("defaultMode", 0o644)))
        elif "secret" in vol:
            src = vol["secret"]
            mode = int(src.get("defaultMode", 0o644))
            self._keys(target, "secret", {**src, "name": src.get("secretName")}, mode)
        elif "downwardAPI" in vol:
            src = vol["downwardAPI"]
            self._downward(target, src.get("items") or [], int(src.get("defaultMode", 0o644)))
        elif "projected" in vol:
            src = vol["projected"]
            mode = int(src.get("defaultMode", 0o644))
            for source in src.get("sources") or []:
                if "serviceAccountToken" in source:
                    self._token(target, source["serviceAccountToken"], mode)
                elif "configMap" in source:
                    self._keys(target, "configmap", source["configMap"], mode)
                elif "secret" in source:
                    self._keys(target, "secret", source["secret"], mode)
                elif "downwardAPI" in source:
                    self._downward(target, source["downwardAPI"].get("items") or [], mode)
        else:
            kinds = sorted(k for k in vol if k != "name")
            raise VolumeError(f"volume type {kinds} is not supported by podid")
        return target

    def _keys(self, target: Path, kind: str, src: Mapping[str, Any], mode: int) -> None:
        res = "secrets" if kind == "secret" else "configmaps"
        name = src.get("name") or ""
        obj = self.store.get("", res, self.namespace, name)
        if obj is None:
            if src.get("optional"):
                return
            raise VolumeError(f'{"secret" if kind == "secret" else "configmap"} "{name}" not found')
        data: dict[str, bytes] = {}
        for k, v in (obj.get("data") or {}).items():
            data[k] = base64.b64decode(v) if kind == "secret" else str(v).encode()
        for k, v in (obj.get("binaryData") or {}).items():
            data[k] = base64.b64decode(v)
        items = src.get("items")
        if items:
            for item in items:
                key = item.get("key", "")
                if key not in data:
                    if src.get("optional"):
                        continue
                    raise VolumeError(f'configmap references non-existent config key: {key}')
                path = _safe_join(target, item.get("path") or key)
                write_atomic(path, data[key], int(item.get("mode", mode)))
        else:
            for key, value in data.items():
                write_atomic(_safe_join(target, key), value, mode)

    def _downward(self, target: Path, items: list[dict[str, Any]], mode: int) -> None:
        for item in items:
            ref = item.get("fieldRef") or {}
            if not ref:
                value = "0"  # resourceFieldRef: no resource accounting here
            else:
                value = field_value(self.pod, ref.get("fieldPath", ""), self.pod_ip, self.host_ip)
            path = _safe_join(target, item.get("path", ""))
            write_atomic(path, value.encode(), int(item.get("mode", mode)))

    def _token(self, target: Path, src: Mapping[str, Any], mode: int) -> None:
        if self.issuer is None:
            raise VolumeError("token issuance is not configured for this cluster")
        aud = src.get("audience")
        audiences = (aud,) if aud else tuple(self.issuer.api_audiences)
        seconds = max(int(src.get("expirationSeconds") or DEFAULT_TOKEN_SECONDS), MIN_TOKEN_SECONDS)
        token = ProjectedToken(_safe_join(target, src.get("path") or "token"), mode, audiences, seconds)
        self.refresh(token)
        self.tokens.append(token)

    def refresh(self, token: ProjectedToken) -> None:
        """Issue a token bound to this pod and write it (JWT only, no newline)."""
        if self.issuer is None:
            raise VolumeError("token issuance is not configured for this cluster")
        meta = self.pod.get("metadata") or {}
        sa_name = (self.pod.get("spec") or {}).get("serviceAccountName") or "default"
        sa = self.store.get("", "serviceaccounts", self.namespace, sa_name)
        if sa is None:
            raise VolumeError(f'serviceaccount "{sa_name}" not found')
        now = time.time()
        issued = self.issuer.issue(
            self.namespace,
            sa_name,
            sa["metadata"]["uid"],
            list(token.audiences),
            token.seconds,
            (str(meta.get("name")), str(meta.get("uid"))),
        )
        write_atomic(token.path, issued.token.strip().encode(), token.mode)
        token.issued_at = now
        token.expires_at = float(issued.expires_at)

"""A simple file-backed key store for issuer keys (tests and local use).

One JSON file per cluster (``<dir>/<cluster>.json``) holding :meth:`IssuerKeys.to_record`. Files
are created with mode 0600 inside a 0700 directory and replaced atomically (write a temp file in
the same directory, fsync, ``os.replace``). The persistent store (podid.store) keeps the same
record in its database instead; this class is only a convenience.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from podid.oidc.keys import DEFAULT_MAX_TOKEN_SECONDS, DEFAULT_ROTATE_EVERY, IssuerKeys

_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$")  # EKS cluster name rule


class FileKeyStore:
    """Issuer keys of many clusters, one 0600 JSON file each, under ``directory``."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def _path(self, cluster: str) -> Path:
        if not _NAME.match(cluster):
            raise ValueError(f"invalid cluster name {cluster!r}")
        return self.directory / f"{cluster}.json"

    def load(self, cluster: str) -> IssuerKeys | None:
        path = self._path(cluster)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        return IssuerKeys.from_record(json.loads(text))

    def save(self, cluster: str, keys: IssuerKeys) -> None:
        path = self._path(cluster)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        data = json.dumps(keys.to_record(), indent=2, sort_keys=True).encode("utf-8")
        fd, tmp = tempfile.mkstemp(prefix=f".{cluster}.", suffix=".tmp", dir=self.directory)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def delete(self, cluster: str) -> None:
        self._path(cluster).unlink(missing_ok=True)

    def load_or_create(
        self,
        cluster: str,
        now: int,
        *,
        max_token_seconds: int = DEFAULT_MAX_TOKEN_SECONDS,
        rotate_every: int | None = DEFAULT_ROTATE_EVERY,
    ) -> IssuerKeys:
        """Load the cluster's keys (rotating/pruning them when due) or create and save new ones."""
        keys = self.load(cluster)
        if keys is None:
            keys = IssuerKeys.generate(now, max_token_seconds=max_token_seconds)
            self.save(cluster, keys)
            return keys
        updated = keys.rotate_if_due(now, rotate_every) if rotate_every else keys.prune(now)
        if updated is not keys:
            self.save(cluster, updated)
        return updated

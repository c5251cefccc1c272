"""The ``ObjectStore`` interface: versioned object storage plus a watch log, per cluster.

Objects are plain JSON dicts (what the API returns). The store owns ``metadata.resourceVersion``:
one counter per cluster, bumped by every write, recorded in a watch log that can be compacted.
Keys are ``(group, resource, namespace, name)``; ``namespace`` is ``""`` for cluster-scoped objects.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any, Literal, Protocol

EventType = Literal["ADDED", "MODIFIED", "DELETED"]


@dataclass(frozen=True)
class WatchEvent:
    """One write, as recorded in the watch log."""

    resource_version: int
    type: EventType
    group: str
    resource: str
    namespace: str
    name: str
    object: dict[str, Any]


class StoreError(Exception):
    """Base class of store failures."""


class AlreadyExistsError(StoreError):
    """An object with that key exists."""


class NotFoundError(StoreError):
    """No object with that key."""


class ConflictError(StoreError):
    """The caller's resourceVersion precondition did not match."""


class CompactedError(StoreError):
    """Watch from a resourceVersion older than the compaction horizon."""

    def __init__(self, requested: int, oldest: int) -> None:
        super().__init__(f"too old resource version: {requested} ({oldest})")
        self.requested = requested
        self.oldest = oldest


class ObjectStore(Protocol):
    """Storage used by the cluster API. Every method is synchronous and thread-safe."""

    def create(self, group: str, resource: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Store a new object (namespace/name from its metadata); sets ``resourceVersion``.
        Raises AlreadyExistsError."""
        ...

    def get(self, group: str, resource: str, namespace: str, name: str) -> dict[str, Any] | None: ...

    def list(
        self, group: str, resource: str, namespace: str | None
    ) -> tuple[builtins.list[dict[str, Any]], int]:
        """All objects (``namespace=None``: all namespaces), sorted by namespace/name, and the
        store's current resourceVersion."""
        ...

    def update(
        self, group: str, resource: str, obj: dict[str, Any], expected_version: int | None = None
    ) -> dict[str, Any]:
        """Replace an object; ``expected_version`` (if given) must equal the stored resourceVersion.
        Raises NotFoundError / ConflictError."""
        ...

    def delete(
        self, group: str, resource: str, namespace: str, name: str, expected_version: int | None = None
    ) -> dict[str, Any]:
        """Remove an object, returning its last state (with the deletion's resourceVersion)."""
        ...

    def current_version(self) -> int: ...

    def events_since(self, version: int, limit: int = 500) -> builtins.list[WatchEvent]:
        """Watch-log entries with resourceVersion > ``version`` (oldest first).
        Raises CompactedError when ``version`` is below the compaction horizon."""
        ...

    def compact(self, keep: int) -> int:
        """Drop all but the newest ``keep`` watch-log entries; return the new horizon."""
        ...

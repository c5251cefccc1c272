"""Durable state for the embedded moto: per-service snapshots, an S3 object journal, S3 blobs.

moto keeps everything in memory. After a successful mutating call the service is marked dirty and
its moto backends (podid's account, every region touched) are pickled to
``<dir>/<service>.pkl`` (write to a temp file, fsync, atomic rename, fsync the directory).
S3 object bodies are not pickled inline: each object's bytes are written once to
``<dir>/blobs/<sha256>`` and the snapshot holds only the digest (:mod:`podid.dataplane.codec`).
Blobs no longer referenced are removed after each S3 snapshot.

Durability modes: ``sync`` (default) -- the call that changed state returns only after its change
is on disk: a call that changed one S3 object or upload, or DynamoDB items named in the request,
appends their new state to ``<dir>/<service>.journal`` (:mod:`podid.dataplane.journal`, with
:mod:`~podid.dataplane.s3journal` and :mod:`~podid.dataplane.ddbjournal` saying what is recorded;
one fsync, concurrent writers share it); anything else writes the service's snapshot (concurrent
writers share one snapshot: group commit), which also empties that service's journal;
``async`` -- a background thread writes the snapshot ``flush_delay`` seconds after the first
unflushed change (a crash can lose that window; a clean ``close()`` loses nothing).
"""

from __future__ import annotations

import contextlib
import io
import pickle
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from podid.dataplane import ddbjournal, journal, s3journal
from podid.dataplane.codec import BlobStore, SnapshotPickler, atomic_write, loading_blobs
from podid.dataplane.codec import load_private_key as _load_private_key  # noqa: F401  (in old snapshots)
from podid.dataplane.codec import restore_key as _restore_key  # noqa: F401  (in old snapshots)
from podid.dataplane.journal import Journal, JournalRecord
from podid.dataplane.services import SERVICES, moto_name

Durability = Literal["sync", "async"]


class _Watch(Protocol):
    def changes(self) -> dict[str, Any] | None: ...


class _ServiceJournal(Protocol):
    def watch(self, backend_dict: Any, account: str, region: str, operation: str,
              params: Mapping[str, Any]) -> _Watch | None: ...

    def apply(self, record: dict[str, Any], backend_dict: Any) -> None: ...


#: services whose single-object changes are journaled in sync mode, and what records them
_JOURNALED: dict[str, _ServiceJournal] = {"s3": s3journal, "dynamodb": ddbjournal}  # type: ignore[dict-item]


@dataclass
class _JournalState:
    """One service's journal and its sequence numbers (``seq`` is taken under the service lock)."""

    journal: Journal
    seq: int = 0          # last sequence number handed out
    durable: int = 0      # every record up to this one is on disk (or in a snapshot)
    pending: list[JournalRecord] = field(default_factory=list)
    pending_lock: threading.Lock = field(default_factory=threading.Lock)

_SNAPSHOT_VERSION = 1
_BACKEND_DICT_ATTRS = frozenset({"backend", "service_name", "_use_boto3_regions", "_additional_regions",
                                 "_id"})


class Persister:
    """Snapshots moto's per-service state to ``root`` and restores it at start."""

    def __init__(self, root: Path, locks: Mapping[str, threading.RLock], *,
                 durability: Durability = "sync", flush_delay: float = 0.05) -> None:
        self.root = root
        self.locks = locks
        self.durability = durability
        self.flush_delay = flush_delay
        self.blobs = BlobStore(root / "blobs")
        self.journals = {svc: _JournalState(Journal(root / f"{svc}.journal", self.blobs))
                         for svc in _JOURNALED}
        self._dirty_gen = dict.fromkeys(SERVICES, 0)
        self._flushed_gen = dict.fromkeys(SERVICES, 0)
        self._flush_locks = {svc: threading.Lock() for svc in SERVICES}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.snapshots_written = 0
        root.mkdir(parents=True, exist_ok=True)

    # -- moto state access ----------------------------------------------------------------------
    @staticmethod
    def _backend_dict(service: str) -> Any:
        import moto.backends as backends

        return backends.get_backend(moto_name(service))  # type: ignore[call-overload]

    def _state(self, service: str) -> dict[str, Any]:
        bd = self._backend_dict(service)
        return {
            "backends": {acct: dict(regions.items()) for acct, regions in dict(bd).items() if len(regions)},
            # service-wide attributes of the BackendDict (S3: the bucket-name -> account map)
            "extra": {k: v for k, v in vars(bd).items() if k not in _BACKEND_DICT_ATTRS},
        }

    def load(self) -> None:
        """Replace moto's in-memory state for every podid service with what is on disk."""
        for service in SERVICES:
            bd = self._backend_dict(service)
            with self.locks[service]:
                for regions in list(bd.values()):
                    with contextlib.suppress(Exception):
                        regions.reset()
                dict.clear(bd)
                for attr, value in vars(bd).items():
                    if attr not in _BACKEND_DICT_ATTRS and hasattr(value, "clear"):
                        value.clear()
                snapshot_seq = self._load_snapshot(service, bd)
                if service in self.journals:
                    self._replay_journal(service, bd, snapshot_seq)

    def _load_snapshot(self, service: str, bd: Any) -> int:
        """Install ``<service>.pkl`` into moto; the journal sequence number it contains."""
        path = self.root / f"{service}.pkl"
        if not path.exists():
            return 0
        with loading_blobs(self.blobs.root):
            payload = pickle.loads(path.read_bytes())
        if payload.get("version") != _SNAPSHOT_VERSION:
            raise RuntimeError(f"{path}: unsupported snapshot version {payload.get('version')}")
        state = payload["state"]
        for acct, regions in state["backends"].items():
            target = bd[acct]
            for region, backend in regions.items():
                dict.__setitem__(target, region, backend)
        for attr, value in state["extra"].items():
            setattr(bd, attr, value)
        return int(payload.get("journal_seq", 0))

    def _replay_journal(self, service: str, bd: Any, snapshot_seq: int) -> None:
        """Apply the service journal's records newer than the snapshot, in sequence order."""
        state = self.journals[service]
        with loading_blobs(self.blobs.root):
            records = [r for r in state.journal.read() if r["seq"] > snapshot_seq]
        records.sort(key=lambda r: r["seq"])
        for record in records:
            _JOURNALED[service].apply(record, bd)
        state.seq = state.durable = max([snapshot_seq, *(r["seq"] for r in records)])

    # -- write path -----------------------------------------------------------------------------
    def mark_dirty(self, service: str) -> None:
        """Record a change (call with the service lock held)."""
        self._dirty_gen[service] += 1

    def commit(self, service: str) -> None:
        """Make the latest change durable (sync) or schedule it (async)."""
        if self.durability == "sync":
            target = self._dirty_gen[service]
            with self._flush_locks[service]:
                if self._flushed_gen[service] >= target:
                    return      # a snapshot taken after our change already covers it
                self._snapshot(service)
            return
        self._ensure_thread()
        self._wake.set()

    # -- journals (sync mode): S3 objects and uploads, DynamoDB items --------------------------------
    @property
    def journaling(self) -> bool:
        """Whether single-object/item changes go to a journal (``sync`` mode only)."""
        return self.durability == "sync"

    def watch(self, service: str, account: str, region: str, operation: str,
              params: Mapping[str, Any]) -> _Watch | None:
        """Start watching a call its service's journal may record (service lock held), or None:
        then a change takes the snapshot path."""
        module = _JOURNALED.get(service)
        if not self.journaling or module is None:
            return None
        return module.watch(self._backend_dict(service), account, region, operation, params)

    def capture(self, service: str, watch: _Watch) -> JournalRecord | None:
        """A record of the watched call's change (service lock held), or None when it is not
        exactly the change expected (nothing changed, or moto changed what podid did not parse)."""
        fields = watch.changes()
        if fields is None:
            return None
        state = self.journals[service]
        state.seq += 1
        return journal.encode(state.seq, fields, self.blobs)

    def append(self, service: str, record: JournalRecord) -> None:
        """Make ``record`` durable; concurrent callers share one write and fsync (group commit)."""
        state = self.journals[service]
        with state.pending_lock:
            state.pending.append(record)
        with self._flush_locks[service]:
            if state.durable >= record.seq:
                return      # written by another caller's batch, or covered by a snapshot
            with state.pending_lock:
                batch, state.pending = state.pending, []
            batch = sorted((r for r in batch if r.seq > state.durable), key=lambda r: r.seq)
            if batch:
                state.journal.append(batch)
                state.durable = batch[-1].seq
            if state.journal.wants_snapshot():
                self._snapshot(service)

    def _snapshot(self, service: str) -> None:
        """Pickle one service's state (flush lock held) and write it atomically."""
        buf = io.BytesIO()
        is_s3 = service == "s3"
        if is_s3:
            self.blobs.referenced = set()
        journaled = self.journals.get(service)
        with self.locks[service]:
            gen = self._dirty_gen[service]
            seq = journaled.seq if journaled is not None else 0
            SnapshotPickler(buf, self.blobs).dump({"version": _SNAPSHOT_VERSION, "journal_seq": seq,
                                                    "state": self._state(service)})
        atomic_write(self.root / f"{service}.pkl", buf.getvalue())
        self._flushed_gen[service] = gen
        self.snapshots_written += 1
        if journaled is not None:
            # every record already in the journal has seq <= seq (appends hold this flush lock)
            journaled.journal.reset()
            journaled.durable = max(journaled.durable, seq)
        if is_s3:
            self.blobs.collect(set(self.blobs.referenced))

    def flush(self) -> None:
        """Write every service with unflushed changes now."""
        for service in SERVICES:
            with self._flush_locks[service]:
                if self._flushed_gen[service] < self._dirty_gen[service]:
                    self._snapshot(service)

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="podid-moto-flusher", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=1.0)
            if self._stop.is_set():
                break
            if not self._wake.is_set():
                continue
            self._stop.wait(self.flush_delay)   # debounce: gather writes for flush_delay
            self._wake.clear()
            self.flush()

    def close(self) -> None:
        """Stop the flusher and write everything pending."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.flush()
        for state in self.journals.values():
            state.journal.close()

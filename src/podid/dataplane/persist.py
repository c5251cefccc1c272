"""Durable state for the embedded moto: per-service snapshots plus content-addressed S3 blobs.

moto keeps everything in memory. After a successful mutating call the service is marked dirty and
its moto backends (podid's account, every region touched) are pickled to
``<dir>/<service>.pkl`` (write to a temp file, fsync, atomic rename, fsync the directory).
S3 object bodies are not pickled inline: each object's bytes are written once to
``<dir>/blobs/<sha256>`` and the snapshot holds only the digest, so a snapshot costs
O(number of objects), not O(bytes stored). Blobs no longer referenced are removed after each S3
snapshot.

Durability modes: ``sync`` (default) -- the call that changed state returns only after a
snapshot containing its change is on disk (concurrent writers share one snapshot: group commit);
``async`` -- a background thread writes the snapshot ``flush_delay`` seconds after the first
unflushed change (a crash can lose that window; a clean ``close()`` loses nothing).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import threading
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from podid.dataplane.services import SERVICES, moto_name

Durability = Literal["sync", "async"]

_SNAPSHOT_VERSION = 1
_BACKEND_DICT_ATTRS = frozenset({"backend", "service_name", "_use_boto3_regions", "_additional_regions",
                                 "_id"})
_blob_dir: Path | None = None
_FRESH: dict[type, Any] = {
    type(threading.Lock()): threading.Lock,
    type(threading.RLock()): threading.RLock,
    threading.Condition: threading.Condition,
    threading.Event: threading.Event,
    threading.Semaphore: threading.Semaphore,
}   # set while loading a snapshot (read by _restore_key)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


_PRIVATE_KEYS = (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey,
                 ed448.Ed448PrivateKey)
_PUBLIC_KEYS = (rsa.RSAPublicKey, ec.EllipticCurvePublicKey, ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)


def _load_private_key(der: bytes) -> Any:
    return serialization.load_der_private_key(der, None)


def _restore_key(state: dict[str, Any], digest: str | None) -> Any:
    """Rebuild a moto ``FakeKey`` from its pickled metadata and its blob."""
    from moto.s3.models import FakeKey

    value = b""
    if digest is not None:
        if _blob_dir is None:
            raise RuntimeError("S3 blob directory not set while loading")
        value = (_blob_dir / digest).read_bytes()
    key: Any = FakeKey.__new__(FakeKey)
    key.__setstate__({**state, "value": value})
    return key


#: type -> "fresh" | "private" | "public" | "s3key" | "plain" (see _SnapshotPickler._kind)
_KINDS: dict[type, str] = {}


class _SnapshotPickler(pickle.Pickler):
    """Pickler that stores S3 object bodies as content-addressed blob files."""

    def __init__(self, file: io.BytesIO, store: _BlobStore) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.store = store
        from moto.s3.models import FakeKey

        self._fake_key = FakeKey

    def _kind(self, cls: type) -> str:
        """What :meth:`reducer_override` does with instances of ``cls`` (cached per type: the
        isinstance checks against cryptography's ABCs are slow and run for every pickled object)."""
        kind = _KINDS.get(cls)
        if kind is None:
            if cls in _FRESH:
                kind = "fresh"
            elif issubclass(cls, _PRIVATE_KEYS):
                kind = "private"
            elif issubclass(cls, _PUBLIC_KEYS):
                kind = "public"
            elif issubclass(cls, self._fake_key):
                kind = "s3key"
            else:
                kind = "plain"
            _KINDS[cls] = kind
        return kind

    def reducer_override(self, obj: Any) -> Any:
        kind = self._kind(type(obj))
        if kind == "plain":
            return NotImplemented
        if kind == "fresh":         # locks & co. are recreated empty, never pickled
            return (_FRESH[type(obj)], ())
        if kind == "private":       # KMS asymmetric keys (cryptography objects)
            der = obj.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
            return (_load_private_key, (der,))
        if kind == "public":
            der = obj.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)
            return (serialization.load_der_public_key, (der,))
        state = obj.__dict__.copy()
        state.pop("_value_buffer", None)
        state.pop("lock", None)
        digest = self.store.put_key(obj)
        return (_restore_key, (state, digest))


class _BlobStore:
    """Content-addressed files for S3 object bodies, with a per-key digest cache."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: weakref.WeakKeyDictionary[Any, tuple[int, int, str]] = weakref.WeakKeyDictionary()
        self.referenced: set[str] = set()

    def put_key(self, key: Any) -> str | None:
        buf = getattr(key, "_value_buffer", None)
        ident = (id(buf), int(getattr(key, "contentsize", 0) or 0))
        cached = self._cache.get(key)
        if cached is not None and cached[:2] == ident:
            self.referenced.add(cached[2])
            return cached[2]
        try:
            value = key.value
        except ValueError:   # buffer closed: key was disposed
            return None
        digest = hashlib.sha256(value).hexdigest()
        path = self.root / digest
        if not path.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            _atomic_write(path, value)
        self._cache[key] = (*ident, digest)
        self.referenced.add(digest)
        return digest

    def collect(self, keep: set[str]) -> None:
        if not self.root.is_dir():
            return
        for entry in self.root.iterdir():
            if entry.name not in keep and not entry.name.endswith(".tmp"):
                with contextlib.suppress(OSError):
                    entry.unlink()


class Persister:
    """Snapshots moto's per-service state to ``root`` and restores it at start."""

    def __init__(self, root: Path, locks: Mapping[str, threading.RLock], *,
                 durability: Durability = "sync", flush_delay: float = 0.05) -> None:
        self.root = root
        self.locks = locks
        self.durability = durability
        self.flush_delay = flush_delay
        self.blobs = _BlobStore(root / "blobs")
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
        global _blob_dir
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
                path = self.root / f"{service}.pkl"
                if not path.exists():
                    continue
                _blob_dir = self.blobs.root
                try:
                    payload = pickle.loads(path.read_bytes())
                finally:
                    _blob_dir = None
                if payload.get("version") != _SNAPSHOT_VERSION:
                    raise RuntimeError(f"{path}: unsupported snapshot version {payload.get('version')}")
                state = payload["state"]
                for acct, regions in state["backends"].items():
                    target = bd[acct]
                    for region, backend in regions.items():
                        dict.__setitem__(target, region, backend)
                for attr, value in state["extra"].items():
                    setattr(bd, attr, value)

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

    def _snapshot(self, service: str) -> None:
        """Pickle one service's state (flush lock held) and write it atomically."""
        buf = io.BytesIO()
        is_s3 = service == "s3"
        if is_s3:
            self.blobs.referenced = set()
        with self.locks[service]:
            gen = self._dirty_gen[service]
            _SnapshotPickler(buf, self.blobs).dump({"version": _SNAPSHOT_VERSION,
                                                     "state": self._state(service)})
        _atomic_write(self.root / f"{service}.pkl", buf.getvalue())
        self._flushed_gen[service] = gen
        self.snapshots_written += 1
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

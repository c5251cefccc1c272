"""How moto's state is pickled: S3 bodies as content-addressed blob files, no locks, portable keys.

Used by the snapshots (:mod:`podid.dataplane.persist`) and the S3 object journal
(:mod:`podid.dataplane.journal`). Locks and events are recreated empty; KMS's cryptography keys are
stored as DER; each S3 ``FakeKey`` body is written once to ``<blobs>/<sha256>`` and the pickle holds
only its digest (the journal may keep small bodies inline instead).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import threading
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

_blob_dir: Path | None = None   # set while loading (read by restore_key)
_FRESH: dict[type, Any] = {
    type(threading.Lock()): threading.Lock,
    type(threading.RLock()): threading.RLock,
    threading.Condition: threading.Condition,
    threading.Event: threading.Event,
    threading.Semaphore: threading.Semaphore,
}


def fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


_PRIVATE_KEYS = (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey,
                 ed448.Ed448PrivateKey)
_PUBLIC_KEYS = (rsa.RSAPublicKey, ec.EllipticCurvePublicKey, ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)


def load_private_key(der: bytes) -> Any:
    return serialization.load_der_private_key(der, None)


def restore_key(state: dict[str, Any], digest: str | None) -> Any:
    """Rebuild a moto ``FakeKey`` from its pickled metadata and its blob."""
    value = b""
    if digest is not None:
        if _blob_dir is None:
            raise RuntimeError("S3 blob directory not set while loading")
        value = (_blob_dir / digest).read_bytes()
    return restore_key_inline(state, value)


def restore_key_inline(state: dict[str, Any], value: bytes) -> Any:
    """Rebuild a moto ``FakeKey`` from its pickled metadata and its body."""
    from moto.s3.models import FakeKey

    key: Any = FakeKey.__new__(FakeKey)
    key.__setstate__({**state, "value": value})
    return key


@contextlib.contextmanager
def loading_blobs(root: Path) -> Iterator[None]:
    """While unpickling a snapshot or journal record: S3 bodies are read from ``root``."""
    global _blob_dir
    _blob_dir = root
    try:
        yield
    finally:
        _blob_dir = None


#: type -> "fresh" | "private" | "public" | "s3key" | "plain" (see SnapshotPickler._kind)
_KINDS: dict[type, str] = {}


class SnapshotPickler(pickle.Pickler):
    """Pickler that stores S3 object bodies as content-addressed blob files."""

    def __init__(self, file: io.BytesIO, store: BlobStore) -> None:
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
            return (load_private_key, (der,))
        if kind == "public":
            der = obj.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)
            return (serialization.load_der_public_key, (der,))
        state = obj.__dict__.copy()
        state.pop("_value_buffer", None)
        state.pop("lock", None)
        return self.reduce_s3_key(obj, state)

    def reduce_s3_key(self, key: Any, state: dict[str, Any]) -> Any:
        """How one moto ``FakeKey`` is stored: its metadata plus the digest of its body's blob."""
        digest = self.store.put_key(key)
        return (restore_key, (state, digest))


class BlobStore:
    """Content-addressed files for S3 object bodies, with a per-key digest cache."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: weakref.WeakKeyDictionary[Any, tuple[int, int, str]] = weakref.WeakKeyDictionary()
        self.referenced: set[str] = set()

    @staticmethod
    def _identity(key: Any) -> tuple[int, int]:
        """What must not have changed for a cached digest to still be ``key``'s body."""
        return id(getattr(key, "_value_buffer", None)), int(getattr(key, "contentsize", 0) or 0)

    def put_key(self, key: Any) -> str | None:
        """Write ``key``'s body as a blob (once) and return its digest; None for a disposed key."""
        digest = self.known_digest(key)
        if digest is None:
            try:
                value = key.value
            except ValueError:   # buffer closed: key was disposed
                return None
            digest = hashlib.sha256(value).hexdigest()
            self.write(digest, value)
            self.remember(key, digest)
        self.referenced.add(digest)
        return digest

    def write(self, digest: str, body: bytes | Callable[[], bytes]) -> None:
        """Make the blob ``digest`` exist (``body`` is read only when it does not yet)."""
        path = self.root / digest
        if not path.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            atomic_write(path, body if isinstance(body, bytes) else body())

    def known_digest(self, key: Any) -> str | None:
        """The digest of ``key``'s body if it was hashed and its blob written before."""
        cached = self._cache.get(key)
        return cached[2] if cached is not None and cached[:2] == self._identity(key) else None

    def remember(self, key: Any, digest: str) -> None:
        """Note that ``key``'s body is the blob ``digest`` (already written)."""
        self._cache[key] = (*self._identity(key), digest)

    def collect(self, keep: set[str]) -> None:
        if not self.root.is_dir():
            return
        for entry in self.root.iterdir():
            if entry.name not in keep and not entry.name.endswith(".tmp"):
                with contextlib.suppress(OSError):
                    entry.unlink()

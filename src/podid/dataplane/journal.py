"""Append-only journals of single-object changes: ``sync`` durability without a snapshot per write.

A full snapshot of a service costs O(objects it stores). In ``sync`` mode a call that changed one
S3 object or upload (:mod:`podid.dataplane.s3journal`) or the DynamoDB items it names
(:mod:`podid.dataplane.ddbjournal`) appends a record instead: the new state of exactly what changed.
It is state, never the request, so replay is deterministic (moto invents version ids, upload ids
and dates). Records carry a sequence number taken under the service lock; a snapshot stores the
last sequence it contains, and loading replays only newer records, in sequence order. A snapshot
empties the journal; :class:`Journal` says when it has grown enough to take one.

Frame: 4-byte big-endian payload length, 4-byte CRC-32 of the payload, the pickle. A torn tail (a
crash during an append) fails its length or CRC check and is cut off at load. Bodies up to
``INLINE_LIMIT`` bytes travel inside the record; larger ones are written to the blob store first.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import struct
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from podid.dataplane.codec import BlobStore, SnapshotPickler, restore_key, restore_key_inline

INLINE_LIMIT = 256 * 1024
MAX_RECORDS = 2000
MAX_BYTES = 64 * 1024 * 1024
_HEADER = struct.Struct(">II")


@dataclass
class JournalRecord:
    """One encoded change, ready to append (``blobs``: large bodies to write before it, as
    (digest, key, body or None when the body's blob was written before))."""

    seq: int
    payload: bytes
    blobs: list[tuple[str, Any, bytes | None]] = field(default_factory=list)


class _RecordPickler(SnapshotPickler):
    """Snapshot pickling, except that small S3 bodies are kept inside the record."""

    def __init__(self, file: io.BytesIO, store: BlobStore) -> None:
        super().__init__(file, store)
        self.pending: list[tuple[str, Any, bytes | None]] = []

    def reduce_s3_key(self, key: Any, state: dict[str, Any]) -> Any:
        digest = self.store.known_digest(key)
        if digest is not None:   # hashed and written before (a part recorded by its UploadPart)
            self.pending.append((digest, key, None))
            return (restore_key, (state, digest))
        try:
            value = bytes(key.value)
        except ValueError:   # buffer closed: the key was disposed
            value = b""
        if len(value) <= INLINE_LIMIT:
            return (restore_key_inline, (state, value))
        digest = hashlib.sha256(value).hexdigest()
        self.pending.append((digest, key, value))
        return (restore_key, (state, digest))


def encode(seq: int, fields: dict[str, Any], store: BlobStore) -> JournalRecord:
    """Pickle one call's change (call with the service lock held, so the state is the one just
    written); ``fields`` are the service module's record fields."""
    buf = io.BytesIO()
    pickler = _RecordPickler(buf, store)
    pickler.dump({"seq": seq, **fields})
    return JournalRecord(seq, buf.getvalue(), pickler.pending)


def _body(key: Any) -> bytes:
    """A moto key's body (read only when its blob has to be written again)."""
    return bytes(key.value)


class Journal:
    """The journal file: framed appends with one fsync per batch, replay, truncation."""

    def __init__(self, path: Path, blobs: BlobStore) -> None:
        self.path = path
        self.blobs = blobs
        self._fh: io.BufferedWriter | None = None
        self.records = 0
        self.size = 0

    def append(self, batch: Sequence[JournalRecord]) -> None:
        """Write ``batch`` (sequence order) and make it durable (large bodies first)."""
        for record in batch:
            for digest, key, value in record.blobs:
                body: bytes | Callable[[], bytes] = value if value is not None else partial(_body, key)
                self.blobs.write(digest, body)
                self.blobs.remember(key, digest)
        if self._fh is None:
            self._fh = open(self.path, "ab")  # noqa: SIM115  (kept open between appends)
        frames = b"".join(_HEADER.pack(len(r.payload), zlib.crc32(r.payload)) + r.payload for r in batch)
        self._fh.write(frames)
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self.records += len(batch)
        self.size += len(frames)

    def wants_snapshot(self) -> bool:
        """Whether the journal is long enough that a snapshot (which empties it) should follow."""
        return self.records >= MAX_RECORDS or self.size >= MAX_BYTES

    def reset(self) -> None:
        """Empty the journal (after a snapshot that contains every record in it)."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        with contextlib.suppress(FileNotFoundError):
            os.truncate(self.path, 0)
        self.records = self.size = 0

    def read(self) -> Iterator[dict[str, Any]]:
        """Every intact record, in file order; a torn or corrupt tail is cut off the file."""
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        offset = count = 0
        while offset + _HEADER.size <= len(data):
            length, crc = _HEADER.unpack_from(data, offset)
            payload = data[offset + _HEADER.size: offset + _HEADER.size + length]
            if len(payload) != length or zlib.crc32(payload) != crc:
                break
            yield pickle.loads(payload)
            offset += _HEADER.size + length
            count += 1
        if offset < len(data):
            os.truncate(self.path, offset)
        self.records, self.size = count, offset

    def close(self) -> None:
        """Close the file handle."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None

"""Append-only journal of S3 object changes: ``sync`` durability without a full S3 snapshot per write.

A full S3 snapshot costs O(objects stored). In ``sync`` mode a PutObject, CopyObject or DeleteObject
that changed exactly one key appends a record instead: that key's complete new state (every version
and delete marker, each version's tags); multipart uploads likewise record the upload created or
removed (Create/Complete/Abort, Complete with its key) and, for UploadPart(Copy), the one new part.
It is state, never the request, so replay is deterministic (moto invents version ids, upload ids
and dates). Records carry a sequence number taken under the S3 lock; a snapshot stores the last
sequence it contains, and loading replays only newer records, in sequence order. A snapshot
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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podid.dataplane.codec import BlobStore, SnapshotPickler, atomic_write, restore_key, restore_key_inline

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


#: S3 operations whose change the journal can record, by botocore name
UPLOAD_OPERATIONS = frozenset({"CreateMultipartUpload", "UploadPart", "UploadPartCopy",
                               "CompleteMultipartUpload", "AbortMultipartUpload"})
OPERATIONS = frozenset({"PutObject", "CopyObject", "DeleteObject"}) | UPLOAD_OPERATIONS
_PART_OPERATIONS = frozenset({"UploadPart", "UploadPartCopy"})


@dataclass
class Watch:
    """What one journaled call may change, and how it looked before the call (S3 lock held)."""

    bucket: Any
    operation: str
    key: str
    upload_id: str | None
    versions: list[Any]
    uploads: dict[str, Any]
    parts: dict[int, Any]   # UploadPart(Copy): the upload's parts before the call

    @classmethod
    def start(cls, bucket: Any, operation: str, key: str, upload_id: str | None) -> Watch:
        uploads = dict(bucket.multiparts)
        upload = uploads.get(upload_id) if upload_id else None
        parts = dict(upload.parts) if upload is not None and operation in _PART_OPERATIONS else {}
        return cls(bucket, operation, key, upload_id, list(bucket.keys.getlist(key, [])), uploads, parts)

    def changes(self) -> dict[str, Any] | None:
        """The call's change as record fields, or None when it is not exactly the change this
        operation makes to the key/upload podid parsed (then the caller takes a snapshot)."""
        op, uid = self.operation, self.upload_id
        after = list(self.bucket.keys.getlist(self.key, []))
        key_changed = not (len(after) == len(self.versions)
                           and all(a is b for a, b in zip(after, self.versions, strict=True)))
        now: dict[str, Any] = self.bucket.multiparts
        keys = {self.key: after} if key_changed else {}
        uploads: dict[str, Any] = {}
        parts: list[tuple[str, int, Any]] = []
        if op == "CreateMultipartUpload":
            new = [u for u in now if u not in self.uploads]
            if key_changed or len(new) != 1 or len(now) != len(self.uploads) + 1:
                return None
            uploads[new[0]] = now[new[0]]
        elif op in _PART_OPERATIONS:
            if uid is None or uid not in now or key_changed or self.uploads.get(uid) is not now[uid]:
                return None
            current: dict[int, Any] = now[uid].parts
            parts = [(uid, n, part) for n, part in current.items() if part is not self.parts.get(n)]
            if len(parts) != 1:
                return None
        elif op in ("CompleteMultipartUpload", "AbortMultipartUpload"):
            if not uid or uid not in self.uploads or uid in now or len(now) != len(self.uploads) - 1:
                return None
            if op == "CompleteMultipartUpload" and not key_changed:
                return None
            uploads[uid] = None
        elif not key_changed:
            return None
        return {"keys": keys, "uploads": uploads, "parts": parts}


def key_tags(backend: Any, versions: Sequence[Any]) -> dict[str, dict[str, Any]]:
    """The tagger entries of every version in ``versions`` (moto tags objects by ARN)."""
    tags: dict[str, dict[str, Any]] = backend.tagger.tags
    out = {}
    for version in versions:
        arn = getattr(version, "arn", None)
        if arn is not None and arn in tags:
            out[arn] = dict(tags[arn])
    return out


def encode(seq: int, account: str, bucket: str, changes: dict[str, Any], tags: dict[str, dict[str, Any]],
           store: BlobStore) -> JournalRecord:
    """Pickle one call's change (call with the S3 lock held, so the state is the one just written)."""
    buf = io.BytesIO()
    pickler = _RecordPickler(buf, store)
    pickler.dump({"seq": seq, "account": account, "bucket": bucket, **changes, "tags": tags})
    return JournalRecord(seq, buf.getvalue(), pickler.pending)


def apply(record: dict[str, Any], backend_dict: Any) -> None:
    """Set the keys, uploads and parts a record holds to their recorded state (replay)."""
    from bisect import insort

    regions = dict.get(backend_dict, record["account"])
    backend: Any = regions.get("aws") if regions is not None else None
    bucket = backend.buckets.get(record["bucket"]) if backend is not None else None
    if bucket is None:
        return
    for name, versions in record["keys"].items():
        for old in bucket.keys.getlist(name, []):
            arn = getattr(old, "arn", None)
            if arn is not None:
                backend.tagger.tags.pop(arn, None)
        if versions:
            bucket.keys.setlist(name, versions)
        elif name in bucket.keys:
            bucket.keys.pop(name)
    backend.tagger.tags.update(record["tags"])
    for uid, upload in record["uploads"].items():
        if upload is None:
            bucket.multiparts.pop(uid, None)
        else:
            bucket.multiparts[uid] = upload
    for uid, number, part in record["parts"]:
        upload = bucket.multiparts.get(uid)
        if upload is not None:          # as FakeMultipart.set_part does
            upload.parts[number] = part
            if number not in upload.partlist:
                insort(upload.partlist, number)


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
                target = self.blobs.root / digest
                if not target.exists():
                    self.blobs.root.mkdir(parents=True, exist_ok=True)
                    atomic_write(target, value if value is not None else bytes(key.value))
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

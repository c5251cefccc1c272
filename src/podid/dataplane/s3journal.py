"""What the journal records for S3 (see :mod:`podid.dataplane.journal`): objects and multipart uploads.

A PutObject, CopyObject or DeleteObject that changed exactly one key records that key's complete new
state (every version and delete marker, each version's tags from moto's tagger). Multipart uploads
record the upload created or removed (Create/Complete/Abort; Complete with its new key) and, for
UploadPart(Copy), only the one new part: recording the whole upload would make an n-part upload
cost O(n^2). What podid parsed (Bucket, Key, UploadId) is checked against what moto did: exactly
that key's version list changed, exactly one upload appeared or went away, exactly one part was
replaced. Anything else, and buckets with event notifications (moto then writes to other services
too), returns None: the caller takes a full snapshot.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


def _backend(backend_dict: Any, account: str) -> Any:
    """The account's S3 backend (S3 is global: moto keeps it under "aws"), if it exists."""
    regions = dict.get(backend_dict, account)
    return regions.get("aws") if regions is not None else None


def watch(backend_dict: Any, account: str, region: str, operation: str,
          params: Mapping[str, Any]) -> Watch | None:
    """Start watching a call the journal may record (S3 lock held), or None."""
    bucket_name, key, upload_id = params.get("Bucket"), params.get("Key"), params.get("UploadId")
    if operation not in OPERATIONS or not bucket_name or not key:
        return None
    if operation in UPLOAD_OPERATIONS and operation != "CreateMultipartUpload" and not upload_id:
        return None
    backend = _backend(backend_dict, account)
    bucket = backend.buckets.get(str(bucket_name)) if backend is not None else None
    if bucket is None or bucket.notification_configuration is not None:
        return None
    return Watch.start(backend, account, bucket, operation, str(key), str(upload_id) if upload_id else None)


#: S3 operations whose change the journal can record, by botocore name
UPLOAD_OPERATIONS = frozenset({"CreateMultipartUpload", "UploadPart", "UploadPartCopy",
                               "CompleteMultipartUpload", "AbortMultipartUpload"})
OPERATIONS = frozenset({"PutObject", "CopyObject", "DeleteObject"}) | UPLOAD_OPERATIONS
_PART_OPERATIONS = frozenset({"UploadPart", "UploadPartCopy"})


@dataclass
class Watch:
    """What one journaled call may change, and how it looked before the call (S3 lock held)."""

    backend: Any
    account: str
    bucket: Any
    operation: str
    key: str
    upload_id: str | None
    versions: list[Any]
    uploads: dict[str, Any]
    parts: dict[int, Any]   # UploadPart(Copy): the upload's parts before the call

    @classmethod
    def start(cls, backend: Any, account: str, bucket: Any, operation: str, key: str,
              upload_id: str | None) -> Watch:
        uploads = dict(bucket.multiparts)
        upload = uploads.get(upload_id) if upload_id else None
        parts = dict(upload.parts) if upload is not None and operation in _PART_OPERATIONS else {}
        return cls(backend, account, bucket, operation, key, upload_id, list(bucket.keys.getlist(key, [])),
                   uploads, parts)

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
        versions = [v for vs in keys.values() for v in vs]
        return {"account": self.account, "bucket": self.bucket.name, "keys": keys, "uploads": uploads,
                "parts": parts, "tags": key_tags(self.backend, versions)}


def key_tags(backend: Any, versions: Sequence[Any]) -> dict[str, dict[str, Any]]:
    """The tagger entries of every version in ``versions`` (moto tags objects by ARN)."""
    tags: dict[str, dict[str, Any]] = backend.tagger.tags
    out = {}
    for version in versions:
        arn = getattr(version, "arn", None)
        if arn is not None and arn in tags:
            out[arn] = dict(tags[arn])
    return out


def apply(record: dict[str, Any], backend_dict: Any) -> None:
    """Set the keys, uploads and parts a record holds to their recorded state (replay)."""
    backend = _backend(backend_dict, record["account"])
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

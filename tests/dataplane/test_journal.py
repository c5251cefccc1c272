"""The S3 object journal: sync durability of single-key changes, replay, torn tails, compaction."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

import pytest

from podid.dataplane import journal
from podid.dataplane.backend import Backend, RawRequest
from podid.dataplane.codec import loading_blobs
from podid.dataplane.lookup import MotoLookup

from .helpers import backend_client

ACCOUNT = "111122223333"
BIG = b"B" * (journal.INLINE_LIMIT + 1)


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


def _versions(s3: Any, bucket: str) -> list[tuple[str, str, bool]]:
    out = s3.list_object_versions(Bucket=bucket)
    rows = [(v["Key"], v["VersionId"], v["IsLatest"]) for v in out.get("Versions", [])]
    rows += [(m["Key"], m["VersionId"], m["IsLatest"]) for m in out.get("DeleteMarkers", [])]
    return sorted(rows)


def _journal_records(state: Path) -> int:
    path = state / "moto" / "s3.journal"
    with loading_blobs(state / "moto" / "blobs"):
        return sum(1 for _ in journal.Journal(path, None).read())  # type: ignore[arg-type]


def test_object_writes_are_journaled_not_snapshotted(state: Path) -> None:
    be = Backend(state, ACCOUNT)
    s3 = backend_client(be, "s3")
    s3.create_bucket(Bucket="bkt")
    snapshots = be.persister.snapshots_written
    for i in range(5):
        s3.put_object(Bucket="bkt", Key=f"k{i}", Body=f"v{i}".encode(), Tagging=f"n={i}")
    s3.copy_object(Bucket="bkt", Key="copy", CopySource={"Bucket": "bkt", "Key": "k1"})
    s3.delete_object(Bucket="bkt", Key="k0")
    s3.put_object(Bucket="bkt", Key="big", Body=BIG)
    assert be.persister.snapshots_written == snapshots  # no full snapshot for single-key changes
    assert _journal_records(state) == 8
    # no close(): every acknowledged write is already in the journal
    be2 = Backend(state, ACCOUNT)
    s3 = backend_client(be2, "s3")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="bkt")["Contents"])
    assert keys == ["big", "copy", "k1", "k2", "k3", "k4"]
    assert s3.get_object(Bucket="bkt", Key="copy")["Body"].read() == b"v1"
    assert s3.get_object(Bucket="bkt", Key="big")["Body"].read() == BIG
    assert MotoLookup(be2).s3_object_tags("bkt", "k3", None) == {"n": "3"}
    assert MotoLookup(be2).s3_object_tags("bkt", "copy", None) == {"n": "1"}
    be2.close()


def test_versioned_bucket_replays_every_version_and_delete_marker(state: Path) -> None:
    be = Backend(state, ACCOUNT)
    s3 = backend_client(be, "s3")
    s3.create_bucket(Bucket="ver")
    s3.put_bucket_versioning(Bucket="ver", VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket="ver", Key="doc", Body=b"one")["VersionId"]
    s3.put_object(Bucket="ver", Key="doc", Body=b"two")
    s3.delete_object(Bucket="ver", Key="doc")          # delete marker
    s3.put_object(Bucket="ver", Key="other", Body=b"x")
    before = _versions(s3, "ver")
    be2 = Backend(state, ACCOUNT)
    s3 = backend_client(be2, "s3")
    assert _versions(s3, "ver") == before
    assert s3.get_object(Bucket="ver", Key="doc", VersionId=first)["Body"].read() == b"one"
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket="ver", Key="doc")
    be2.close()


def test_torn_tail_is_cut_off(state: Path) -> None:
    be = Backend(state, ACCOUNT)
    s3 = backend_client(be, "s3")
    s3.create_bucket(Bucket="bkt")
    s3.put_object(Bucket="bkt", Key="kept", Body=b"ok")
    path = state / "moto" / "s3.journal"
    good = path.stat().st_size
    with open(path, "ab") as fh:                      # a crash in the middle of the next append
        fh.write(b"\x00\x00\x01\x00garbage")
    be2 = Backend(state, ACCOUNT)
    assert path.stat().st_size == good
    assert backend_client(be2, "s3").get_object(Bucket="bkt", Key="kept")["Body"].read() == b"ok"
    be2.close()


def test_long_journal_is_compacted_into_a_snapshot(state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journal, "MAX_RECORDS", 4)
    be = Backend(state, ACCOUNT)
    s3 = backend_client(be, "s3")
    s3.create_bucket(Bucket="bkt")
    s3.put_object(Bucket="bkt", Key="big", Body=BIG)             # large body: a blob file
    s3.put_object(Bucket="bkt", Key="big", Body=BIG[:-1] + b"C")  # overwritten: old blob unreferenced
    snapshots = be.persister.snapshots_written
    for i in range(3):
        s3.put_object(Bucket="bkt", Key=f"k{i}", Body=b"x")
    assert be.persister.snapshots_written == snapshots + 1   # the 4th record triggered it
    assert _journal_records(state) == 1
    live = {hashlib.sha256(BIG[:-1] + b"C").hexdigest(), hashlib.sha256(b"x").hexdigest()}
    assert {p.name for p in (state / "moto" / "blobs").iterdir()} == live  # the first BIG is gone
    be2 = Backend(state, ACCOUNT)
    s3 = backend_client(be2, "s3")
    assert s3.get_object(Bucket="bkt", Key="big")["Body"].read() == BIG[:-1] + b"C"
    assert sorted(o["Key"] for o in s3.list_objects_v2(Bucket="bkt")["Contents"]) == ["big", "k0", "k1", "k2"]
    be2.close()


def test_snapshot_supersedes_older_records(state: Path) -> None:
    be = Backend(state, ACCOUNT)
    s3 = backend_client(be, "s3")
    s3.create_bucket(Bucket="bkt")
    s3.put_object(Bucket="bkt", Key="k", Body=b"journaled")
    old_journal = (state / "moto" / "s3.journal").read_bytes()
    s3.put_object_acl(Bucket="bkt", Key="k", ACL="public-read")   # not journaled: full snapshot
    s3.create_bucket(Bucket="bkt-c")
    s3.put_object(Bucket="bkt", Key="k", Body=b"newer")
    s3.create_bucket(Bucket="bkt-d")                                # snapshot contains "newer"
    # a crash between writing the snapshot and emptying the journal leaves old records behind
    (state / "moto" / "s3.journal").write_bytes(old_journal)
    be2 = Backend(state, ACCOUNT)
    assert backend_client(be2, "s3").get_object(Bucket="bkt", Key="k")["Body"].read() == b"newer"
    be2.close()


def test_wrong_key_hint_falls_back_to_a_snapshot(state: Path) -> None:
    be = Backend(state, ACCOUNT)
    s3 = backend_client(be, "s3")
    s3.create_bucket(Bucket="bkt")
    snapshots = be.persister.snapshots_written
    put = RawRequest("PUT", "/bkt/real", "", [("Host", "localhost:4566")], b"1")
    # a hint naming another key than the one moto writes: nothing to journal, so a snapshot
    response = be.forward("s3", put, operation="PutObject", params={"Bucket": "bkt", "Key": "hint"})
    assert response.status == 200
    assert be.persister.snapshots_written == snapshots + 1
    be2 = Backend(state, ACCOUNT)
    assert backend_client(be2, "s3").get_object(Bucket="bkt", Key="real")["Body"].read() == b"1"
    be2.close()


def test_concurrent_writers_share_fsyncs_and_keep_the_last_state(state: Path) -> None:
    be = Backend(state, ACCOUNT)
    s3 = backend_client(be, "s3")
    s3.create_bucket(Bucket="bkt")
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        client = backend_client(be, "s3")
        try:
            for i in range(15):
                client.put_object(Bucket="bkt", Key=f"w{n}-{i}", Body=b"x")
                client.put_object(Bucket="bkt", Key="shared", Body=f"{n}-{i}".encode())
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    final = s3.get_object(Bucket="bkt", Key="shared")["Body"].read()
    be2 = Backend(state, ACCOUNT)
    s3 = backend_client(be2, "s3")
    assert s3.get_object(Bucket="bkt", Key="shared")["Body"].read() == final
    listed = s3.list_objects_v2(Bucket="bkt", MaxKeys=1000)["Contents"]
    assert len(listed) == 4 * 15 + 1
    be2.close()


def test_multipart_uploads_are_journaled(state: Path) -> None:
    part1, part2, tail = b"1" * (5 * 1024 * 1024), b"2" * (5 * 1024 * 1024), b"tail"
    be = Backend(state, ACCOUNT)
    s3 = backend_client(be, "s3")
    s3.create_bucket(Bucket="bkt")
    snapshots = be.persister.snapshots_written
    done = s3.create_multipart_upload(Bucket="bkt", Key="big.bin", Tagging="kind=mpu")["UploadId"]
    etags = [s3.upload_part(Bucket="bkt", Key="big.bin", UploadId=done, PartNumber=n, Body=body)["ETag"]
             for n, body in ((1, part1), (2, part2), (3, tail))]
    s3.complete_multipart_upload(Bucket="bkt", Key="big.bin", UploadId=done, MultipartUpload={
        "Parts": [{"ETag": e, "PartNumber": n} for n, e in enumerate(etags, 1)]})
    pending = s3.create_multipart_upload(Bucket="bkt", Key="later.bin")["UploadId"]
    later = {"Bucket": "bkt", "Key": "later.bin", "UploadId": pending}
    first = s3.upload_part(**later, PartNumber=1, Body=part2)["ETag"]
    s3.upload_part(**later, PartNumber=2, Body=b"old")
    second = s3.upload_part(**later, PartNumber=2, Body=b"new")["ETag"]
    aborted = s3.create_multipart_upload(Bucket="bkt", Key="gone.bin")["UploadId"]
    s3.abort_multipart_upload(Bucket="bkt", Key="gone.bin", UploadId=aborted)
    assert be.persister.snapshots_written == snapshots   # all of it went to the journal
    assert _journal_records(state) == 11

    be2 = Backend(state, ACCOUNT)                          # restart without close()
    s3 = backend_client(be2, "s3")
    assert s3.get_object(Bucket="bkt", Key="big.bin")["Body"].read() == part1 + part2 + tail
    assert MotoLookup(be2).s3_object_tags("bkt", "big.bin", None) == {"kind": "mpu"}
    uploads = {u["UploadId"]: u["Key"] for u in s3.list_multipart_uploads(Bucket="bkt").get("Uploads", [])}
    assert uploads == {pending: "later.bin"}
    parts = s3.list_parts(Bucket="bkt", Key="later.bin", UploadId=pending)["Parts"]
    assert [(p["PartNumber"], p["ETag"]) for p in parts] == [(1, first), (2, second)]
    s3.complete_multipart_upload(Bucket="bkt", Key="later.bin", UploadId=pending, MultipartUpload={
        "Parts": [{"ETag": first, "PartNumber": 1}, {"ETag": second, "PartNumber": 2}]})
    be3 = Backend(state, ACCOUNT)
    got = backend_client(be3, "s3").get_object(Bucket="bkt", Key="later.bin")["Body"].read()
    assert got == part2 + b"new"
    be3.close()


def _ddb_records(state: Path) -> int:
    with loading_blobs(state / "moto" / "blobs"):
        return sum(1 for _ in journal.Journal(state / "moto" / "dynamodb.journal", None).read())  # type: ignore[arg-type]


def _items(ddb: Any, table: str) -> list[dict[str, Any]]:
    return sorted(ddb.scan(TableName=table)["Items"], key=lambda i: str(sorted(i.items())))


def test_dynamodb_item_writes_are_journaled(state: Path) -> None:
    be = Backend(state, ACCOUNT)
    ddb = backend_client(be, "dynamodb")
    ddb.create_table(TableName="hash-only", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    ddb.create_table(TableName="composite",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                {"AttributeName": "sk", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "N"}],
                     BillingMode="PAY_PER_REQUEST")
    snapshots = be.persister.snapshots_written
    for i in range(3):
        ddb.put_item(TableName="hash-only", Item={"pk": {"S": f"k{i}"}, "v": {"N": str(i)}})
        ddb.put_item(TableName="composite", Item={"pk": {"S": "p"}, "sk": {"N": str(i)}, "v": {"S": "x"}})
    ddb.update_item(TableName="hash-only", Key={"pk": {"S": "k1"}}, UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": {"N": "100"}})
    ddb.delete_item(TableName="hash-only", Key={"pk": {"S": "k0"}})
    ddb.delete_item(TableName="composite", Key={"pk": {"S": "p"}, "sk": {"N": "0"}})
    ddb.batch_write_item(RequestItems={
        "hash-only": [{"PutRequest": {"Item": {"pk": {"S": "b1"}}}},
                      {"DeleteRequest": {"Key": {"pk": {"S": "k2"}}}}],
        "composite": [{"PutRequest": {"Item": {"pk": {"S": "q"}, "sk": {"N": "9"}}}}],
    })
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):   # refused: changes nothing
        ddb.put_item(TableName="hash-only", Item={"pk": {"S": "k1"}},
                     ConditionExpression="attribute_not_exists(pk)")
    assert be.persister.snapshots_written == snapshots
    assert _ddb_records(state) == 10
    before = {t: _items(ddb, t) for t in ("hash-only", "composite")}

    be2 = Backend(state, ACCOUNT)                          # restart without close()
    ddb = backend_client(be2, "dynamodb")
    assert {t: _items(ddb, t) for t in ("hash-only", "composite")} == before
    assert ddb.get_item(TableName="hash-only", Key={"pk": {"S": "k1"}})["Item"]["v"] == {"N": "100"}
    assert ddb.query(TableName="composite", KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": "p"}})["Count"] == 2
    be2.close()


def test_dynamodb_tables_with_streams_take_snapshots(state: Path) -> None:
    be = Backend(state, ACCOUNT)
    ddb = backend_client(be, "dynamodb")
    ddb.create_table(TableName="streamed", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST",
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    snapshots = be.persister.snapshots_written
    ddb.put_item(TableName="streamed", Item={"pk": {"S": "a"}})
    assert be.persister.snapshots_written == snapshots + 1   # the stream record is state too
    be2 = Backend(state, ACCOUNT)
    assert backend_client(be2, "dynamodb").get_item(TableName="streamed", Key={"pk": {"S": "a"}})["Item"]
    be2.close()

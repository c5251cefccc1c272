"""Write latency as the store grows: DynamoDB PutItem and S3 PutObject, podid sync vs async vs moto.

podid's default ``sync`` durability puts every acknowledged write on disk. A write that changes one
S3 object or DynamoDB item appends to a journal (constant cost); without it every write re-pickled
the whole service (cost growing with the number of items). This prints the median latency of 100
writes at several store sizes for: moto's own in-process dispatch (``mock_aws``, nothing on disk,
the baseline), podid's backend in ``sync`` and in ``async`` mode (same boto3 client work in all).
Also: an SQS SendMessage with messages already queued (SQS still snapshots per write).
Usage: ``python bench/durability_bench.py [--sizes 200,2000]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from dataplane.helpers import backend_client  # noqa: E402  (the tests' in-process boto3 client)
from podid.dataplane.backend import Backend  # noqa: E402

WRITES = 100


def _median_ms(fn: Callable[[int], Any], n: int = WRITES) -> float:
    lat = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        lat.append(time.perf_counter() - t0)
    return statistics.median(lat) * 1000


def _moto_client(service: str) -> Any:
    import boto3

    return boto3.client(service, region_name="us-east-1", aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                        aws_secret_access_key="secret")


def _scenario(ddb: Any, s3: Any, sizes: list[int]) -> dict[str, float]:
    ddb.create_table(TableName="t", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    s3.create_bucket(Bucket="bench")
    out: dict[str, float] = {}
    have = 0
    for size in sizes:
        fill = [{"PutRequest": {"Item": {"pk": {"S": f"fill-{have + i}"}, "v": {"S": "x" * 100}}}}
                for i in range(size - have)]
        for i in range(0, len(fill), 25):
            ddb.batch_write_item(RequestItems={"t": fill[i:i + 25]})
        for i in range(have, size):
            s3.put_object(Bucket="bench", Key=f"fill/{i}", Body=b"x" * 64)
        have = size
        out[f"PutItem @{size}"] = _median_ms(
            lambda i, s=size: ddb.put_item(TableName="t", Item={"pk": {"S": f"w{s}-{i}"}, "v": {"S": "y"}}))
        out[f"PutObject @{size}"] = _median_ms(
            lambda i, s=size: s3.put_object(Bucket="bench", Key=f"w{s}/{i % 10}", Body=b"y" * 1024))
    return out


def _sqs(sqs: Any, queued: int) -> float:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    batch = [{"Id": str(j), "MessageBody": "m" * 200} for j in range(10)]
    for _ in range(0, queued, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=batch)
    return _median_ms(lambda i: sqs.send_message(QueueUrl=url, MessageBody="m" * 200), 30)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="200,2000")
    ap.add_argument("--queued", type=int, default=1000)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    from moto import mock_aws

    results: dict[str, dict[str, float]] = {}
    with mock_aws():
        results["moto"] = _scenario(_moto_client("dynamodb"), _moto_client("s3"), sizes)
        results["moto"][f"SendMessage @{args.queued} queued"] = _sqs(_moto_client("sqs"), args.queued)
    for mode in ("sync", "async"):
        with tempfile.TemporaryDirectory() as d:
            be = Backend(d, durability=mode)  # type: ignore[arg-type]
            results[mode] = _scenario(backend_client(be, "dynamodb"), backend_client(be, "s3"), sizes)
            results[mode][f"SendMessage @{args.queued} queued"] = _sqs(backend_client(be, "sqs"), args.queued)
            be.close()
    print(f"median ms of {WRITES} writes (in-process; store size = items/objects already there)")
    print(f"  {'':<28}{'moto':>9}{'podid sync':>12}{'podid async':>13}{'sync/moto':>11}")
    for row in results["moto"]:
        m, s, a = results["moto"][row], results["sync"][row], results["async"][row]
        print(f"  {row:<28}{m:9.2f}{s:12.2f}{a:13.2f}{s / m:10.2f}x")


if __name__ == "__main__":
    main()

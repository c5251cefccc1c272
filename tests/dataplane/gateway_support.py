"""Helpers for the data-plane gateway tests: principals, raw signed requests, streaming uploads."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

REPO = Path(__file__).resolve().parents[2]
LAB_POLICY_FILE = REPO / "examples" / "lab" / "s3-reader-policy.json"
LAB_BUCKET = "podid-lab-bucket"


def lab_policy() -> dict[str, Any]:
    """The seeds' S3 reader policy (ListBucket with s3:prefix allowed/*, GetObject under allowed/)."""
    return json.loads(LAB_POLICY_FILE.read_text())  # type: ignore[no-any-return]


def make_user(srv: Any, name: str, policy: dict[str, Any] | None = None,
              tags: dict[str, str] | None = None) -> tuple[str, str]:
    """An IAM user with an inline policy (and tags) and an access key: (akid, secret)."""
    iam = srv.client("iam")
    iam.create_user(UserName=name, Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()])
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def error(exc: Any) -> tuple[str, str, int]:
    """(code, message, HTTP status) of a botocore ClientError."""
    resp = exc.response
    return resp["Error"].get("Code", ""), resp["Error"].get("Message", ""), \
        resp["ResponseMetadata"]["HTTPStatusCode"]


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def streaming_put(url: str, host: str, path: str, payload: bytes, akid: str, secret: str,
                  region: str = "us-east-1", chunk: int = 8192) -> httpx.Response:
    """PUT ``payload`` as an ``aws-chunked`` SigV4 streaming upload (from AWS's spec, not podid's code)."""
    now = dt.datetime.now(dt.UTC)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    scope = f"{day}/{region}/s3/aws4_request"
    key = _hmac(_hmac(_hmac(_hmac(("AWS4" + secret).encode(), day), region), "s3"), "aws4_request")
    pieces = [payload[i:i + chunk] for i in range(0, len(payload), chunk)] + [b""]
    sig_len = 64
    encoded_len = sum(len(f"{len(p):x};chunk-signature=") + sig_len + 2 + len(p) + 2 for p in pieces)
    headers = {
        "content-encoding": "aws-chunked",
        "content-length": str(encoded_len),
        "host": host,
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "x-amz-date": amz_date,
        "x-amz-decoded-content-length": str(len(payload)),
    }
    names = sorted(headers)
    canonical = "\n".join(["PUT", quote(path, safe="/~"), "",
                           "".join(f"{n}:{headers[n]}\n" for n in names), ";".join(names),
                           "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    seed = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    body, previous = bytearray(), seed
    empty = hashlib.sha256(b"").hexdigest()
    for piece in pieces:
        text = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous, empty,
                          hashlib.sha256(piece).hexdigest()])
        previous = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
        body += f"{len(piece):x};chunk-signature={previous}\r\n".encode() + piece + b"\r\n"
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={akid}/{scope}, "
                                f"SignedHeaders={';'.join(names)}, Signature={seed}")
    with httpx.Client(timeout=30, trust_env=False) as client:
        return client.put(url + quote(path, safe="/~"), headers=headers, content=bytes(body))


def wait_for(predicate: Any, timeout: float = 10.0) -> Any:
    """Poll ``predicate`` until it returns a truthy value (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)

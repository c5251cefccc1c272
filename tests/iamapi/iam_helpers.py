"""Helpers for the IAM API tests: the seed documents, error capture, a restricted user."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

BUCKET = "team-data"
PREFIX = "reports"

S3_READER: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "List",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": f"arn:aws:s3:::{BUCKET}",
            "Condition": {"StringLike": {"s3:prefix": f"{PREFIX}/*"}},
        },
        {
            "Sid": "Read",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/{PREFIX}/*",
        },
    ],
}
POD_TRUST: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "pods.eks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
        }
    ],
}


def doc(d: dict[str, Any]) -> str:
    return json.dumps(d)


def error(fn: Callable[..., Any], **kwargs: Any) -> tuple[int, str, str]:
    """Call `fn(**kwargs)`, expect a ClientError; return (HTTP status, code, message)."""
    try:
        fn(**kwargs)
    except ClientError as exc:
        err = exc.response["Error"]
        return exc.response["ResponseMetadata"]["HTTPStatusCode"], err["Code"], err["Message"]
    raise AssertionError(f"{getattr(fn, '__name__', fn)} succeeded, expected an error")

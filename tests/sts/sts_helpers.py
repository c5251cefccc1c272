"""Helpers shared by the STS AssumeRole / web identity tests (real server, real clients)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import botocore.exceptions
import pytest

ACCOUNT = "111122223333"
ADMIN_ARN = f"arn:aws:iam::{ACCOUNT}:user/podid-admin"


def doc(statements: list[dict[str, Any]] | dict[str, Any]) -> str:
    body = statements if isinstance(statements, list) else [statements]
    return json.dumps({"Version": "2012-10-17", "Statement": body})


def trust(
    principal: Mapping[str, Any],
    actions: list[str] | str = "sts:AssumeRole",
    condition: Mapping[str, Any] | None = None,
) -> str:
    stmt: dict[str, Any] = {"Effect": "Allow", "Principal": dict(principal), "Action": actions}
    if condition:
        stmt["Condition"] = dict(condition)
    return doc(stmt)


def allow(actions: list[str] | str, resource: str = "*", condition: Mapping[str, Any] | None = None) -> str:
    stmt: dict[str, Any] = {"Effect": "Allow", "Action": actions, "Resource": resource}
    if condition:
        stmt["Condition"] = dict(condition)
    return doc(stmt)


def error(call: Callable[..., object], **kwargs: Any) -> tuple[str, str, int]:
    """(code, message, HTTP status) of a call that must fail."""
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call(**kwargs)
    err = info.value.response
    status = int(err["ResponseMetadata"]["HTTPStatusCode"])
    return str(err["Error"]["Code"]), str(err["Error"]["Message"]), status


def creds(out: Mapping[str, Any]) -> tuple[str, str, str]:
    c = out["Credentials"]
    return c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]

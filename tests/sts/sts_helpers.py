"""Helpers shared by the STS AssumeRole / web identity tests (real server, real clients)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import botocore.exceptions
import pytest
import uvicorn

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


@contextmanager
def serve(app: Any) -> Iterator[int]:
    """Run ``app`` under uvicorn on 127.0.0.1:<free port> in a thread; yields the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()

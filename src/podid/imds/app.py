"""The IMDSv2 protocol (token-required mode) over the metadata paths the AWS SDKs and CLIs read.

``PUT /latest/api/token`` with ``X-aws-ec2-metadata-token-ttl-seconds`` (1-21600) returns a session
token; every GET must carry it in ``X-aws-ec2-metadata-token`` (missing, unknown or expired: 401, as
EC2 answers when IMDSv2 is required). A token PUT with ``X-Forwarded-For`` is refused with 403, as EC2
does to keep proxies from minting tokens. Paths: ``meta-data/iam/security-credentials/[<role>]``,
``meta-data/iam/info``, ``meta-data/instance-id``, ``meta-data/placement/region`` and
``/availability-zone``, ``dynamic/instance-identity/document``; anything else is 404.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from podid.imds.credentials import NodeRoleCredentials

TTL_HEADER = "x-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "x-aws-ec2-metadata-token"
MAX_TTL = 21600
MAX_TOKENS = 4096


class _Tokens:
    """IMDSv2 session tokens (random, with an expiry), bounded in number."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._items: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def issue(self, ttl: int) -> str:
        token = secrets.token_urlsafe(40)
        with self._lock:
            self._items[token] = self._clock() + ttl
            while len(self._items) > MAX_TOKENS:
                self._items.popitem(last=False)
        return token

    def valid(self, token: str | None) -> bool:
        if not token:
            return False
        with self._lock:
            expiry = self._items.get(token)
            if expiry is None:
                return False
            if expiry <= self._clock():
                del self._items[token]
                return False
            return True


def _text(body: str, status: int = 200, **headers: str) -> Response:
    return PlainTextResponse(body, status_code=status, headers=headers)


def create_imds_app(credentials: NodeRoleCredentials, region: str, account_id: str,
                    clock: Callable[[], float] = time.time) -> Starlette:
    """The metadata service of one podid "instance" (the node of ``podid up``)."""
    tokens = _Tokens(clock)
    instance_id = credentials.instance_id
    role = credentials.role_name

    async def token(request: Request) -> Response:
        if "x-forwarded-for" in request.headers:
            return _text("Forbidden", 403)
        raw = request.headers.get(TTL_HEADER, "")
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_TTL:
            return _text("Bad Request", 400)
        return _text(tokens.issue(int(raw)), 200, **{TTL_HEADER: raw})

    def document() -> dict[str, Any]:
        return {"accountId": account_id, "architecture": "x86_64", "availabilityZone": f"{region}a",
                "imageId": "ami-00000000000000000", "instanceId": instance_id, "instanceType": "m5.large",
                "pendingTime": "2026-01-01T00:00:00Z", "privateIp": "127.0.0.1", "region": region,
                "version": "2017-09-30"}

    def metadata(path: str) -> Response:
        simple = {"meta-data/instance-id": instance_id, "meta-data/placement/region": region,
                  "meta-data/placement/availability-zone": f"{region}a",
                  "meta-data/iam/security-credentials": role, "meta-data/iam/security-credentials/": role}
        if path in simple:
            return _text(simple[path])
        if path == f"meta-data/iam/security-credentials/{role}":
            try:
                creds = credentials.current()
            except Exception:  # noqa: BLE001 - the role went away or stopped trusting EC2
                return _text(json.dumps({"Code": "AssumeRoleUnauthorizedAccess",
                                         "Message": f"EC2 cannot assume the role {role}.",
                                         "LastUpdated": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                      time.gmtime(clock()))}), 200)
            return _text(json.dumps(creds.to_json(), indent=2))
        if path == "meta-data/iam/info":
            profile_id = "AIPA" + instance_id[2:].upper().ljust(17, "0")[:17]
            profile_arn = f"arn:aws:iam::{account_id}:instance-profile/{role}"
            return _text(json.dumps({"Code": "Success", "InstanceProfileArn": profile_arn,
                                     "InstanceProfileId": profile_id}))
        if path == "dynamic/instance-identity/document":
            return _text(json.dumps(document(), indent=2))
        return _text("Not Found", 404)

    async def get(request: Request) -> Response:
        if not tokens.valid(request.headers.get(TOKEN_HEADER)):
            return _text("Unauthorized", 401)
        return metadata(request.path_params["path"])

    return Starlette(routes=[Route("/latest/api/token", token, methods=["PUT"]),
                             Route("/latest/{path:path}", get, methods=["GET"])])

"""STUB EKS AUTH — a small EKS-Auth-shaped HTTP server, used ONLY until podid's EKS Auth exists.

It answers `POST /clusters/{name}/assume-role-for-pod-identity` with the rest-json shapes of the
eks-auth model (wire-facts §3) so that the agent's *real* boto3 client can be exercised end to end.
It does not verify signatures or token signatures: it checks that a SigV4 `eks-auth` Authorization
header is present and decodes the token's claims. Replace with podid's EKS Auth when it lands.

Behaviour by the pod name in the token (`kubernetes.io.pod.name`):
`deny*` -> 400 AccessDeniedException, `missing*` -> 404 ResourceNotFoundException,
`boom*` -> 500 InternalServerException; anything else -> credentials valid `lifetime` seconds.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from typing import Any

import jwt
import uvicorn

_ERRORS = {
    "deny": (400, "AccessDeniedException", "Access denied for this pod"),
    "missing": (404, "ResourceNotFoundException", "No Pod Identity Association for this service account"),
    "boom": (500, "InternalServerException", "internal error"),
}


class StubEksAuth:
    """Run with `start()` / `stop()`; `calls` counts requests, `url` is the endpoint."""

    def __init__(self, *, lifetime: float = 6 * 3600) -> None:
        self.lifetime = lifetime
        self.calls = 0
        self.unsigned = 0
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.calls += 1
        if "Credential=" not in headers.get(
            "authorization", ""
        ) or "/eks-auth/aws4_request" not in headers.get("authorization", ""):
            self.unsigned += 1
        parts = scope["path"].strip("/").split("/")
        request_id = str(uuid.uuid4())
        if scope["method"] != "POST" or len(parts) != 3 or parts[2] != "assume-role-for-pod-identity":
            await self._error(send, 404, "ResourceNotFoundException", "unknown path", request_id)
            return
        token = json.loads(body or b"{}").get("token", "")
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            await self._error(send, 400, "InvalidTokenException", "token is invalid", request_id)
            return
        pod = claims.get("kubernetes.io", {}).get("pod", {}).get("name", "")
        for prefix, (status, code, message) in _ERRORS.items():
            if pod.startswith(prefix):
                await self._error(send, status, code, message, request_id)
                return
        ns, sa = "default", claims.get("sub", "").rsplit(":", 1)[-1]
        session = f"eks-{parts[1]}-{pod}-{uuid.uuid4()}"[:64]
        out = {
            "subject": {"namespace": ns, "serviceAccount": sa},
            "audience": "pods.eks.amazonaws.com",
            "podIdentityAssociation": {
                "associationArn": f"arn:aws:eks:us-east-1:111122223333:podidentityassociation/{parts[1]}/a-x",
                "associationId": "a-abcdefghijklmnopq",
            },
            "assumedRoleUser": {
                "arn": f"arn:aws:sts::111122223333:assumed-role/pod-role/{session}",
                "assumeRoleId": f"AROAEXAMPLE:{session}",
            },
            "credentials": {
                "sessionToken": f"stub-session-{uuid.uuid4().hex}",
                "secretAccessKey": uuid.uuid4().hex,
                "accessKeyId": "ASIA" + uuid.uuid4().hex[:16].upper(),
                "expiration": int(time.time() + self.lifetime),
            },
        }
        await self._send(send, 200, json.dumps(out).encode(), [(b"x-amzn-requestid", request_id.encode())])

    async def _error(self, send: Any, status: int, code: str, message: str, request_id: str) -> None:
        await self._send(
            send,
            status,
            json.dumps({"message": message}).encode(),
            [(b"x-amzn-errortype", code.encode()), (b"x-amzn-requestid", request_id.encode())],
        )

    @staticmethod
    async def _send(send: Any, status: int, body: bytes, extra: list[tuple[bytes, bytes]]) -> None:
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *extra,
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def start(self, port: int = 0) -> StubEksAuth:
        from podid.agent.server import _Server, bind_socket

        sock = bind_socket("127.0.0.1", port)
        self.port = sock.getsockname()[1]
        self._server = _Server(
            uvicorn.Config(
                self._app, interface="asgi3", lifespan="off", log_level="warning", access_log=False
            )
        )
        server = self._server
        self._thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
        self._thread.start()
        for _ in range(500):
            if server.started:
                return self
            time.sleep(0.01)
        raise RuntimeError("stub EKS Auth did not start")

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)

"""The Kubernetes remotecommand WebSocket protocol (``v5.channel.k8s.io``, ``v4.channel.k8s.io``).

Binary frames; the first byte is the channel: 0 stdin, 1 stdout, 2 stderr, 3 error (a ``Status``
JSON when the command ends), 4 resize (``{"Width":..,"Height":..}``), 255 close (v5 only:
``[255, channel]`` half-closes that channel, e.g. stdin EOF).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Sequence
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255


def choose_protocol(offered: Sequence[str]) -> str | None:
    for proto in PROTOCOLS:
        if proto in offered:
            return proto
    return None


def exit_status(code: int, command: Sequence[str]) -> dict[str, Any]:
    """The channel-3 Status for a finished command (kubectl turns it into its exit code)."""
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"command terminated with non-zero exit code: error executing command "
        f"[{' '.join(command)}], exit code {code}",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }


class WebSocketExecIO:
    """ExecIO over an accepted WebSocket: demultiplexes stdin/resize, multiplexes stdout/stderr."""

    def __init__(self, ws: WebSocket, protocol: str, stdin: bool) -> None:
        self.ws = ws
        self.protocol = protocol
        self.stdin_queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=64)
        self.resizes: list[dict[str, Any]] = []
        self._stdin = stdin
        self._closed = False
        if not stdin:
            self.stdin_queue.put_nowait(None)

    async def reader(self) -> None:
        """Read client frames until disconnect (run as a task)."""
        try:
            while True:
                msg = await self.ws.receive()
                if msg["type"] == "websocket.disconnect":
                    break
                data = msg.get("bytes")
                if data is None and msg.get("text") is not None:
                    data = msg["text"].encode()
                if not data:
                    continue
                channel, payload = data[0], data[1:]
                if channel == STDIN and self._stdin:
                    if payload:
                        await self.stdin_queue.put(payload)
                elif channel == RESIZE:
                    with contextlib.suppress(ValueError):
                        self.resizes.append(json.loads(payload))
                elif channel == CLOSE and payload[:1] == bytes([STDIN]):
                    await self.stdin_queue.put(None)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            self._closed = True
            if self._stdin:
                await self.stdin_queue.put(None)

    async def read_stdin(self) -> bytes | None:
        return await self.stdin_queue.get()

    async def _send(self, channel: int, data: bytes) -> None:
        if not self._closed:
            await self.ws.send_bytes(bytes([channel]) + data)

    async def write_stdout(self, data: bytes) -> None:
        await self._send(STDOUT, data)

    async def write_stderr(self, data: bytes) -> None:
        await self._send(STDERR, data)

    async def finish(self, status: dict[str, Any]) -> None:
        await self._send(ERROR, json.dumps(status).encode())

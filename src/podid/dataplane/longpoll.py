"""SQS long polling (ReceiveMessage with a wait) without holding the SQS lock while waiting.

moto implements WaitTimeSeconds by sleeping inside its handler. podid runs each service's moto calls
under one lock, so a long poll there would block every other SQS call for up to 20 s, including the
SendMessage that should end the wait. podid asks moto with WaitTimeSeconds=0 instead and, while
nothing comes back and the wait has not run out, asks again every ``POLL_INTERVAL`` seconds with
the lock released: like SQS, the poll answers as soon as a message is there, and at the latest
when the wait is over (an empty answer). The wait is the request's WaitTimeSeconds, else the
queue's ReceiveMessageWaitTimeSeconds; values outside 0..20 go to moto unchanged for its error.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

if TYPE_CHECKING:
    from podid.dataplane.backend import RawRequest, RawResponse

POLL_INTERVAL = 0.05
MAX_WAIT = 20


def requested_wait(params: Mapping[str, Any], queue_default: Callable[[], Any]) -> int:
    """Seconds this ReceiveMessage may wait (0: answer at once, or let moto reject the value)."""
    raw = params.get("WaitTimeSeconds")
    if raw is None:
        raw = queue_default()
    try:
        wait = int(raw)
    except (TypeError, ValueError):
        return 0
    return wait if 0 < wait <= MAX_WAIT else 0


def _set_zero(encoded: str) -> str:
    pairs = [(k, v) for k, v in parse_qsl(encoded, keep_blank_values=True) if k != "WaitTimeSeconds"]
    return urlencode([*pairs, ("WaitTimeSeconds", "0")])


def immediate(request: RawRequest) -> RawRequest:
    """The same ReceiveMessage with WaitTimeSeconds=0 (JSON body, form body or query string)."""
    body = request.body or b""
    if body.lstrip().startswith(b"{"):
        doc = json.loads(body)
        doc["WaitTimeSeconds"] = 0
        return replace(request, body=json.dumps(doc).encode())
    if body:
        return replace(request, body=_set_zero(body.decode("utf-8")).encode())
    return replace(request, query=_set_zero(request.query))


def has_messages(body: bytes) -> bool:
    """Whether a ReceiveMessage answer (JSON or XML) carries at least one message."""
    return b'"Messages"' in body or b"<Message>" in body


def poll(receive: Callable[[], RawResponse], wait: float, *, clock: Callable[[], float] = time.monotonic,
         sleep: Callable[[float], None] = time.sleep) -> RawResponse:
    """Call ``receive()`` until it returns messages or an error, or ``wait`` runs out (then once
    more, so the last answer is as fresh as the deadline)."""
    deadline = clock() + wait
    while True:
        last = clock() >= deadline
        response = receive()
        if last or response.status >= 400 or has_messages(response.body):
            return response
        sleep(max(0.0, min(POLL_INTERVAL, deadline - clock())))

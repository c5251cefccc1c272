"""podid.dataplane.longpoll: the request rewrite and the bounded poll loop (fake clock)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from podid.dataplane.backend import RawRequest, RawResponse
from podid.dataplane.longpoll import immediate, poll, requested_wait

EMPTY = RawResponse(200, [], b"{}")
FULL = RawResponse(200, [], b'{"Messages": [{"MessageId": "m1"}]}')


def test_requested_wait_from_request_or_queue() -> None:
    assert requested_wait({"WaitTimeSeconds": 5}, lambda: 0) == 5
    assert requested_wait({}, lambda: "3") == 3                # queue's ReceiveMessageWaitTimeSeconds
    assert requested_wait({"WaitTimeSeconds": 0}, lambda: 10) == 0
    assert requested_wait({"WaitTimeSeconds": 21}, lambda: 0) == 0   # moto answers with its error
    assert requested_wait({"WaitTimeSeconds": -1}, lambda: 0) == 0
    assert requested_wait({}, lambda: None) == 0


def test_immediate_rewrites_every_encoding() -> None:
    js = immediate(RawRequest("POST", "/", "", [], b'{"QueueUrl": "u", "WaitTimeSeconds": 20}'))
    assert json.loads(js.body) == {"QueueUrl": "u", "WaitTimeSeconds": 0}
    form = immediate(RawRequest("POST", "/", "", [], b"Action=ReceiveMessage&WaitTimeSeconds=20&QueueUrl=u"))
    assert parse_qs(form.body.decode()) == {"Action": ["ReceiveMessage"], "QueueUrl": ["u"],
                                            "WaitTimeSeconds": ["0"]}
    get = immediate(RawRequest("GET", "/", "Action=ReceiveMessage&QueueUrl=u", [], b""))
    assert parse_qs(get.query)["WaitTimeSeconds"] == ["0"]


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_poll_returns_the_first_answer_with_messages() -> None:
    clock, answers = _Clock(), [EMPTY, EMPTY, FULL, EMPTY]
    assert poll(lambda: answers.pop(0), 20, clock=clock, sleep=clock.sleep) is FULL
    assert len(clock.sleeps) == 2


def test_poll_ends_with_one_last_try_at_the_deadline() -> None:
    clock, calls = _Clock(), []
    answer = poll(lambda: calls.append(clock.now) or EMPTY, 1, clock=clock, sleep=clock.sleep)
    assert answer is EMPTY
    assert calls[-1] >= 1.0 and len(calls) == 1 + round(1 / 0.05)     # bounded: every 50 ms, then done
    error = RawResponse(400, [], b"<Error/>")
    assert poll(lambda: error, 20, clock=clock, sleep=clock.sleep) is error   # errors end it at once

"""Hostile bytes on the agent's socket: every request gets a complete HTTP answer, never a reset.

Raw sockets against the agent on 127.0.0.1 in front of podid's real EKS Auth (a `podid up`):
httpx refuses most of these requests (non-Latin-1 header bytes, newlines in values, megabyte
headers). Each exchange is read to the end and checked: every answer has a status line, headers and
exactly Content-Length bytes of body, errors come in the agent's shape (Go's `http.Error`:
text/plain, body + newline, nosniff), no 5xx, and the agent ends the connection with FIN (an
orderly EOF), not RST - a reset makes a client that is still writing lose the answer, which is how
the old agent "dropped" a 1 MB token.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from agent_helpers import Pod, PodWorld, agent_config

from podid.agent import Agent, AgentThread

#: the agent's relay of an EKS Auth error
RELAYED = re.compile(r"^\[[0-9a-f-]{36}\]: \((?P<code>\w+)\): (?P<msg>.+), fault: (?P<fault>\w+)\n$")
MB = 1 << 20
SEGMENTS = (
    "Service account token cannot be parsed: token is malformed: token contains an invalid number of segments"
)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()


@dataclass
class Exchange:
    answers: list[Answer]
    ending: str  # "eof" (FIN after the answers) | "reset" | "timeout" | "send-failed: ..."


def _parse(data: bytes, head_request: bool = False) -> list[Answer]:
    answers = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        assert sep, f"incomplete response head: {data[:200]!r}"
        lines = head.decode("latin-1").split("\r\n")
        version, status, *_ = lines[0].split(" ", 2)
        assert version == "HTTP/1.1", lines[0]
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            assert name.lower() not in headers, f"duplicate {name}"
            headers[name.lower()] = value.strip()
        assert "content-length" in headers, f"no Content-Length: {lines}"
        length = 0 if head_request else int(headers["content-length"])
        assert len(rest) >= length, f"short body: {len(rest)} < {length}"
        answers.append(Answer(int(status), headers, rest[:length]))
        data = rest[length:]
    return answers


def exchange(
    agent: Agent, request: bytes, *, half_close: bool = False, timeout: float = 15.0, head: bool = False
) -> Exchange:
    """Send `request` whole (optionally half-closing after it), read until the agent closes."""
    host, port = agent.credential_addresses[0]
    data = b""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        try:
            sock.sendall(request)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except OSError as exc:
            return Exchange([], f"send-failed: {exc!r}")
        deadline = time.monotonic() + timeout
        ending = "timeout"
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                ending = "reset"
                break
            except TimeoutError:
                break
            if not chunk:
                ending = "eof"
                break
            data += chunk
    return Exchange(_parse(data, head), ending)


def request(agent: Agent, *headers: bytes, method: bytes = b"GET", path: bytes = b"/v1/credentials",
            host: bool = True, close: bool = True) -> bytes:
    """A raw HTTP/1.1 request: `headers` are complete `Name: value` lines (without CRLF)."""
    port = agent.credential_addresses[0][1]
    lines = [method + b" " + path + b" HTTP/1.1"]
    if host:
        lines.append(b"Host: 127.0.0.1:%d" % port)
    lines += headers
    if close:
        lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n"


def auth(token: bytes | str) -> bytes:
    return b"Authorization: " + (token.encode() if isinstance(token, str) else token)


def assert_agent_error(answer: Answer, status: int, text: str | re.Pattern[str]) -> None:
    """The agent's error shape (Go `http.Error`) with `status` and body `text` (+ newline)."""
    assert answer.status == status, (answer.status, answer.body[:300])
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert int(answer.headers["content-length"]) == len(answer.body)
    body = answer.text
    if isinstance(text, str):
        assert body == text + "\n"
    else:
        assert text.match(body), body


def assert_credentials(answer: Answer, world: PodWorld) -> dict[str, str]:
    import json

    assert answer.status == 200, answer.body[:300]
    assert answer.headers["content-type"] == "application/json"
    doc: dict[str, str] = json.loads(answer.body)
    assert doc["AccessKeyId"].startswith("ASIA") and doc["AccountId"] == world.account_id
    return doc


def one_answer(result: Exchange) -> Answer:
    assert result.ending == "eof", result.ending
    assert len(result.answers) == 1, [a.status for a in result.answers]
    return result.answers[0]


@dataclass
class Wire:
    world: PodWorld
    cluster: str
    agent: Agent

    def pod(self, name: str) -> Pod:
        """A fresh pod: its first request is a cache miss, so it waits on EKS Auth."""
        return self.world.pod(self.cluster, name)


@pytest.fixture(scope="module")
def wire(pod_world: PodWorld) -> Iterator[Wire]:
    cluster = pod_world.cluster("agent-wire")
    with AgentThread(agent_config(cluster), pod_world.upstream()) as agent:
        yield Wire(pod_world, cluster, agent)


# -- (a) oversized tokens and header blocks ---------------------------------------------------------


def test_megabyte_token_is_answered_like_the_go_agent(wire: Wire) -> None:
    """1 MiB is within Go's header limit (1 MiB + 4 KiB): the token reaches the agent's checks."""
    for half_close in (False, True):
        result = exchange(wire.agent, request(wire.agent, auth(b"a" * MB)), half_close=half_close)
        assert_agent_error(
            one_answer(result),
            400,
            SEGMENTS,
        )


def test_megabyte_jwt_shaped_token_gets_eks_auths_400(wire: Wire) -> None:
    """A JWT-shaped 1 MB token passes the local parse (the signature is not decoded, as golang-jwt's
    ParseUnverified), goes to EKS Auth, and its InvalidTokenException comes back (400, client)."""
    token = wire.pod("big-1").token
    token += "A" * (MB - len(token))
    answer = one_answer(exchange(wire.agent, request(wire.agent, auth(token))))
    assert_agent_error(answer, 400, RELAYED)
    match = RELAYED.match(answer.text)
    assert match and (match["code"], match["fault"]) == ("InvalidTokenException", "client")
    assert len(wire.agent.cache) == 0 or token not in wire.agent.cache


@pytest.mark.parametrize("shape", ["token", "many-headers"])
def test_header_block_past_the_go_limit_is_431_and_not_reset(wire: Wire, shape: str) -> None:
    """Past 1 MiB + 4 KiB Go answers `431 Request Header Fields Too Large`; so does the agent, and
    it keeps reading what the client is still sending so the client gets the answer (no RST)."""
    if shape == "token":
        raw = request(wire.agent, auth(b"a" * (2 * MB)))
    else:
        token = wire.pod("many-headers").token.encode()
        raw = request(wire.agent, auth(token), *(b"X-Pad-%d: %s" % (i, b"v" * 1024) for i in range(1100)))
    answer = one_answer(exchange(wire.agent, raw))
    assert_agent_error(answer, 431, "431 Request Header Fields Too Large")
    assert answer.headers["connection"] == "close"
    # the agent is fine afterwards
    pod = wire.pod(f"after-431-{shape}")
    assert_credentials(one_answer(exchange(wire.agent, request(wire.agent, auth(pod.token)))), wire.world)


def test_large_header_block_within_the_limit_is_served(wire: Wire) -> None:
    pod = wire.pod("pad-ok")
    raw = request(wire.agent, auth(pod.token), *(b"X-Pad-%d: %s" % (i, b"v" * 1024) for i in range(900)))
    assert_credentials(one_answer(exchange(wire.agent, raw)), wire.world)


# -- (b) a token with a trailing newline ------------------------------------------------------------


def test_token_with_trailing_newline_half_closed_client_is_answered(wire: Wire) -> None:
    """The campaign's request: `Authorization: <token>\\n` + CRLF, then the socket half-closed.

    A bare LF ends a header line for net/http and h11 alike, so the token arrives intact and goes to
    EKS Auth; the old agent closed the socket on the client's FIN while that call was in flight, and
    the client got nothing."""
    pod = wire.pod("newline-1")
    port = wire.agent.credential_addresses[0][1]
    raw = b"GET /v1/credentials HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: %s\n\r\n" % (
        port,
        pod.token.encode(),
    )
    first = assert_credentials(one_answer(exchange(wire.agent, raw, half_close=True)), wire.world)
    # and again with a token EKS Auth rejects: the rejection is relayed, not dropped
    forged = wire.world.forge(wire.pod("newline-2")).encode()
    raw = raw.replace(pod.token.encode(), forged)
    answer = one_answer(exchange(wire.agent, raw, half_close=True))
    assert_agent_error(answer, 400, RELAYED)
    assert first["AccessKeyId"]


def test_token_with_trailing_newline_followed_by_headers(wire: Wire) -> None:
    """`<token>\\n` CRLF ends the header block (LF CRLF is a blank line); the headers after it are
    read as a second, malformed request: the first is served, the second gets Go's 400."""
    pod = wire.pod("newline-3")
    port = wire.agent.credential_addresses[0][1]
    raw = (
        b"GET /v1/credentials HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: %s\n\r\n"
        b"Accept: application/json\r\nConnection: close\r\n\r\n" % (port, pod.token.encode())
    )
    result = exchange(wire.agent, raw)
    assert result.ending == "eof"
    assert [a.status for a in result.answers] == [200, 400]
    assert_credentials(result.answers[0], wire.world)
    assert_agent_error(result.answers[1], 400, "400 Bad Request")


def test_token_with_trailing_newline_before_host_is_a_400(wire: Wire) -> None:
    pod = wire.pod("newline-4")
    raw = b"GET /v1/credentials HTTP/1.1\r\nAuthorization: %s\n\r\nHost: 127.0.0.1\r\n\r\n" % (
        pod.token.encode()
    )
    for half_close in (False, True):
        answer = one_answer(exchange(wire.agent, raw, half_close=half_close))
        assert_agent_error(answer, 400, "400 Bad Request: missing required Host header")


@pytest.mark.parametrize("suffix", [b"\r", b"\x00", b"\x0b"], ids=["CR", "NUL", "VT"])
def test_token_with_control_byte_is_a_400(wire: Wire, suffix: bytes) -> None:
    token = wire.pod(f"ctl-{suffix[0]}").token.encode()
    answer = one_answer(exchange(wire.agent, request(wire.agent, auth(token + suffix))))
    assert_agent_error(answer, 400, "400 Bad Request")


# -- (c) non-Latin-1 bytes in the token -------------------------------------------------------------


@pytest.mark.parametrize("half_close", [False, True], ids=["open", "half-closed"])
def test_non_latin1_token_bytes(wire: Wire, half_close: bool) -> None:
    """Raw UTF-8 in the Authorization header: the agent's parse errors where golang-jwt would fail,
    EKS Auth's InvalidTokenException where the bytes sit in the (not locally decoded) signature."""
    token = wire.pod(f"utf8-{half_close}").token
    header, claims, signature = token.split(".")
    cases = [
        (
            "ключ".encode(),
            SEGMENTS,
        ),
        (
            "é".encode() + token.encode(),
            "Service account token cannot be parsed: token is malformed: could not base64 decode header: "
            "illegal base64 data at input byte 0",
        ),
        (
            f"{header}.{claims[:8]}".encode() + "ü".encode() + f"{claims[8:]}.{signature}".encode(),
            "Service account token cannot be parsed: token is malformed: could not base64 decode claim: "
            "illegal base64 data at input byte 8",
        ),
    ]
    for raw_token, text in cases:
        answer = one_answer(exchange(wire.agent, request(wire.agent, auth(raw_token)), half_close=half_close))
        assert_agent_error(answer, 400, text)
    # in the signature: EKS Auth decides (a cache miss, so the client waits on EKS Auth)
    raw_token = token.encode() + "日本".encode()
    answer = one_answer(exchange(wire.agent, request(wire.agent, auth(raw_token)), half_close=half_close))
    assert_agent_error(answer, 400, RELAYED)
    match = RELAYED.match(answer.text)
    assert match and match["code"] == "InvalidTokenException"


# -- the Authorization header itself, methods, paths ------------------------------------------------


def test_missing_empty_and_repeated_authorization(wire: Wire) -> None:
    empty = "Service account token cannot be empty"
    for headers in ((), (b"Authorization:",), (b"Authorization:   ",)):
        assert_agent_error(one_answer(exchange(wire.agent, request(wire.agent, *headers))), 400, empty)
    # several Authorization headers: the first counts (Go's Header.Get), as in the real agent
    pod = wire.pod("repeat-1")
    many = [auth(pod.token)] + [auth(b"garbage-%d" % i) for i in range(50)]
    assert_credentials(one_answer(exchange(wire.agent, request(wire.agent, *many))), wire.world)
    answer = one_answer(exchange(wire.agent, request(wire.agent, auth(b"garbage"), auth(pod.token))))
    assert_agent_error(
        answer,
        400,
        SEGMENTS,
    )


def test_any_method_is_served_and_unknown_paths_are_404(wire: Wire) -> None:
    pod = wire.pod("methods-1")
    for method in (b"GET", b"POST", b"PUT", b"DELETE", b"PATCH", b"OPTIONS", b"BREW"):
        raw = request(wire.agent, auth(pod.token), method=method)
        assert_credentials(one_answer(exchange(wire.agent, raw)), wire.world)
    head = one_answer(exchange(wire.agent, request(wire.agent, auth(pod.token), method=b"HEAD"), head=True))
    assert head.status == 200 and head.body == b""
    body = request(wire.agent, auth(pod.token), b"Content-Length: 5", method=b"POST") + b"hello"
    assert_credentials(one_answer(exchange(wire.agent, body)), wire.world)
    for path in (b"/", b"/v1/credentials/", b"/v1/credential", b"/v2/credentials", b"/%ff", b"*"):
        answer = one_answer(exchange(wire.agent, request(wire.agent, auth(pod.token), path=path)))
        assert_agent_error(answer, 404, "404 page not found")


def test_websocket_upgrade_is_just_a_header(wire: Wire) -> None:
    pod = wire.pod("upgrade-1")
    raw = request(wire.agent, auth(pod.token), b"Connection: Upgrade", b"Upgrade: websocket", close=False)
    assert_credentials(one_answer(exchange(wire.agent, raw, half_close=True)), wire.world)


# -- requests the HTTP parser refuses ---------------------------------------------------------------

GET = b"GET /v1/credentials HTTP/1.1\r\n"
POST = b"POST /v1/credentials HTTP/1.1\r\n"
HOST = b"Host: 127.0.0.1\r\n"
MALFORMED = {
    "no-host": (GET + b"Connection: close\r\n\r\n", "400 Bad Request: missing required Host header"),
    "two-hosts": (GET + HOST + b"Host: evil\r\n\r\n", "400 Bad Request: too many Host headers"),
    "tls-hello": (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + b"\x00" * 64, "400 Bad Request"),
    "http09": (b"GET /v1/credentials\r\n\r\n", "400 Bad Request"),
    "bad-method": (b"G(T /v1/credentials HTTP/1.1\r\n" + HOST + b"\r\n", "400 Bad Request"),
    "bad-header-name": (GET + HOST + b"Bad Name: x\r\n\r\n", "400 Bad Request"),
    "non-ascii-path": ("GET /v1/crédentials HTTP/1.1\r\n".encode() + HOST + b"\r\n", "400 Bad Request"),
    "bad-content-length": (POST + HOST + b"Content-Length: abc\r\n\r\n", "400 Bad Request"),
    "gzip-transfer-encoding": (
        POST + HOST + b"Transfer-Encoding: gzip\r\n\r\n",
        "400 Bad Request: unsupported transfer encoding",
    ),
    "bad-chunk": (
        POST + HOST + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
        "400 Bad Request",
    ),
    "obs-fold-first": (GET + b" folded\r\n" + HOST + b"\r\n", "400 Bad Request"),
}


@pytest.mark.parametrize("half_close", [False, True], ids=["open", "half-closed"])
@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_requests_get_go_answers(wire: Wire, case: str, half_close: bool) -> None:
    raw, text = MALFORMED[case]
    answer = one_answer(exchange(wire.agent, raw, half_close=half_close))
    assert_agent_error(answer, 400, text)
    assert answer.headers["connection"] == "close"


def test_request_cut_off_by_half_close_is_a_400(wire: Wire) -> None:
    raw = b"GET /v1/credentials HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthoriz"
    assert_agent_error(one_answer(exchange(wire.agent, raw, half_close=True)), 400, "400 Bad Request")


def test_half_closed_client_gets_its_credentials(wire: Wire) -> None:
    """`printf 'GET ...' | nc -N`: FIN right after the request, answer after the EKS Auth call."""
    pod = wire.pod("half-1")
    raw = request(wire.agent, auth(pod.token), close=False)
    assert_credentials(one_answer(exchange(wire.agent, raw, half_close=True)), wire.world)


def test_no_5xx_for_any_bad_input(wire: Wire) -> None:
    statuses = wire.agent.metrics.http_response
    assert all(statuses.value(code) == 0 for code in ("500", "501", "502", "503", "504"))

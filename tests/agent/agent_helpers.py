"""Shared helpers for podid.agent tests: tokens, a fake upstream, a fake clock, loopback servers."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import jwt

from podid.agent import PodCredentials

T0 = 1_750_000_000.0


def make_token(pod: str = "pod-a", *, now: float | None = None, exp_in: float = 86400, **extra: Any) -> str:
    """A service-account-shaped JWT (signature irrelevant to the agent)."""
    now = time.time() if now is None else now
    claims: dict[str, Any] = {
        "iss": "https://oidc.example/id/ABC",
        "sub": f"system:serviceaccount:default:{pod}",
        "aud": ["pods.eks.amazonaws.com"],
        "iat": int(now),
        "nbf": int(now),
        "exp": int(now + exp_in),
        "kubernetes.io": {"namespace": "default", "pod": {"name": pod, "uid": f"uid-{pod}"}},
    }
    claims.update(extra)
    return jwt.encode(claims, "k" * 32, algorithm="HS256")


class FakeClock:
    """A settable clock."""

    def __init__(self, start: float = T0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeUpstream:
    """Injected upstream for unit tests: counts calls, returns per-token credentials or raises."""

    def __init__(self, clock: Any = time.time, *, lifetime: float = 6 * 3600, delay: float = 0.0) -> None:
        self.clock, self.lifetime, self.delay = clock, lifetime, delay
        self.calls: list[str] = []
        self.error: BaseException | None = None
        self._lock = threading.Lock()

    def __call__(self, cluster_name: str, token: str) -> PodCredentials:
        with self._lock:
            self.calls.append(token)
            n = len(self.calls)
        if self.delay:
            time.sleep(self.delay)
        if self.error is not None:
            raise self.error
        return PodCredentials(
            access_key_id=f"ASIAFAKE{n:012d}",
            secret_access_key=f"secret-{n}",
            session_token=f"session-{n}-{abs(hash(token)) % 10**8}",
            expiration=self.clock() + self.lifetime,
            account_id="123456789012",
            role_arn="arn:aws:sts::123456789012:assumed-role/r/s",
        )


def has_ipv6_loopback() -> bool:
    """True when [::1] can be bound here."""
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False

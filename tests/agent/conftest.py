"""Fixtures for podid.agent tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from stub_eksauth import StubEksAuth


@pytest.fixture
def stub_eks_auth() -> Iterator[StubEksAuth]:
    """STUB EKS Auth on 127.0.0.1 (until podid's EKS Auth exists)."""
    stub = StubEksAuth().start()
    yield stub
    stub.stop()


@pytest.fixture
def node_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake node-role credentials and a region for boto3, nothing read from the host."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EKS_AUTH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIANODEROLEEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "node-secret")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")

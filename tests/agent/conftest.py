"""Fixtures for podid.agent tests.

Unit tests inject an upstream callable (`agent_helpers.FakeUpstream`); every integration test
talks to podid's real EKS Auth inside a real `podid up` (`pod_world`, shared by the session),
with a node IAM user allowed only `eks-auth:AssumeRoleForPodIdentity`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from agent_helpers import PodWorld

from support.eks import start_eks_server


@pytest.fixture(scope="session")
def pod_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PodWorld]:
    """A real `podid up` (EKS + EKS Auth) and a node user; each test makes its own cluster."""
    with start_eks_server(tmp_path_factory.mktemp("podid-agent") / "state") as server:
        yield PodWorld.create(server)


@pytest.fixture
def node_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No AWS settings from the host for in-process boto3 (region only)."""
    for name in (
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_EKS_AUTH",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")

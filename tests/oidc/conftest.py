"""Shared fixtures for podid.oidc tests: two clusters' issuer keys and a fixed clock."""

from __future__ import annotations

import pytest
from oidc_helpers import NOW

from podid.oidc import IssuerKeys


@pytest.fixture(scope="session")
def keys_a() -> IssuerKeys:
    return IssuerKeys.generate(NOW)


@pytest.fixture(scope="session")
def keys_b() -> IssuerKeys:
    return IssuerKeys.generate(NOW)

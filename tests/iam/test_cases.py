"""Every shared case (cases.json) and every extra case (extra_cases.json) gives its expected decision."""

from __future__ import annotations

from typing import Any

import pytest

from support.iam_cases import load_cases, run

SHARED = load_cases("cases.json")
EXTRA = load_cases("extra_cases.json")


def test_case_files_present() -> None:
    assert len(SHARED) > 100
    ids = [c["id"] for c in SHARED + EXTRA]
    assert len(ids) == len(set(ids)), "case ids must be unique"


@pytest.mark.parametrize("case", SHARED, ids=[c["id"] for c in SHARED])
def test_shared_case(case: dict[str, Any]) -> None:
    decision = run(case)
    assert decision.outcome == case["expected"], case["description"]


@pytest.mark.parametrize("case", EXTRA, ids=[c["id"] for c in EXTRA])
def test_extra_case(case: dict[str, Any]) -> None:
    decision = run(case)
    assert decision.outcome == case["expected"], case["description"]
    if "denied_in" in case:
        assert decision.denied_in == case["denied_in"]

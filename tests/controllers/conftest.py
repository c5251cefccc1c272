"""One `podid up --cluster lab` for the workload-controller tests (real kubectl, aws CLI): the add-on,
the s3-reader role (no policy), ServiceAccount lab/s3-reader and its association."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.lab import Lab, start_lab


@pytest.fixture(scope="package")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with start_lab(tmp_path_factory, "controllers") as world:
        world.addon()
        world.s3_reader_role(with_policy=False)
        world.service_account()
        world.associate()
        yield world

"""Property: through the gateway, the seeds' S3 policy decides generated requests exactly as the judge does.

A real ``podid up`` and a real IAM user holding the seeds' S3 reader policy; Hypothesis generates list
prefixes and object keys (slashes, dots, spaces, ``+``, ``%``, non-ASCII) and each request's HTTP outcome
(403 = denied) is compared with :func:`podid.iam.evaluate` called directly on the same policy.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podid.iam import PolicySet, Request, evaluate, parse_policy
from support.server import PodidServer, start_podid

from .gateway_support import LAB_BUCKET, lab_policy, make_user

PRINCIPAL = "arn:aws:iam::111122223333:user/prop-reader"
POLICIES = PolicySet(identity=(parse_policy(lab_policy(), name="s3-reader"),))

_segment = st.text(alphabet=st.sampled_from("abcXYZ019-_.~ +%é/"), min_size=0, max_size=12)
_head = st.sampled_from(["allowed/", "blocked/", "", "allowed", "Allowed/", "allowed/sub/", "other/allowed/"])
paths = st.builds(lambda h, t: h + t, _head, _segment)


@pytest.fixture(scope="module")
def reader_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PodidServer, object]]:
    with start_podid(tmp_path_factory.mktemp("dp-props") / "state") as srv:
        srv.client("s3").create_bucket(Bucket=LAB_BUCKET)
        creds = make_user(srv, "prop-reader", lab_policy())
        yield srv, srv.client("s3", credentials=creds)


def _judge(action: str, resource: str, context: dict[str, str]) -> bool:
    return evaluate(Request(principal=PRINCIPAL, action=action, resource=resource, context=context),
                    POLICIES).allowed


def _outcome(call: object) -> bool:
    try:
        call()  # type: ignore[operator]
    except ClientError as exc:
        status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
        if status == 403:
            return False
        assert exc.response["Error"]["Code"] in ("NoSuchKey", "404"), exc.response
    return True


_settings = settings(max_examples=15, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])


@_settings
@given(prefix=paths)
def test_list_prefix_matches_judge(reader_client: tuple[PodidServer, object], prefix: str) -> None:
    _, s3 = reader_client
    kwargs = {"Prefix": prefix} if prefix else {}
    expected = _judge("s3:ListBucket", f"arn:aws:s3:::{LAB_BUCKET}", {"s3:prefix": prefix} if prefix else {})
    assert _outcome(lambda: s3.list_objects_v2(Bucket=LAB_BUCKET, **kwargs)) == expected  # type: ignore[attr-defined]


@_settings
@given(key=paths.filter(lambda k: k and not k.startswith("/") and "//" not in k and k not in (".", "..")))
def test_get_object_matches_judge(reader_client: tuple[PodidServer, object], key: str) -> None:
    _, s3 = reader_client
    expected = _judge("s3:GetObject", f"arn:aws:s3:::{LAB_BUCKET}/{key}", {})
    assert _outcome(lambda: s3.get_object(Bucket=LAB_BUCKET, Key=key)) == expected  # type: ignore[attr-defined]

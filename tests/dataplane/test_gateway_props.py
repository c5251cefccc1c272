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
    srv, s3 = reader_client
    srv.client("s3").put_object(Bucket=LAB_BUCKET, Key=key, Body=b"x")   # exists: GetObject alone decides
    expected = _judge("s3:GetObject", f"arn:aws:s3:::{LAB_BUCKET}/{key}", {})
    assert _outcome(lambda: s3.get_object(Bucket=LAB_BUCKET, Key=key)) == expected  # type: ignore[attr-defined]


def test_missing_object_is_403_without_list_bucket(reader_client: tuple[PodidServer, object]) -> None:
    """S3's rule: a missing object is 404 NoSuchKey only for callers that may list the bucket.

    The seeds' reader may list only with s3:prefix allowed/*, and a GetObject carries no prefix, so a
    missing object under allowed/ is 403 naming s3:ListBucket; a user with plain ListBucket gets 404."""
    srv, s3 = reader_client
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=LAB_BUCKET, Key="allowed/not-there.txt")  # type: ignore[attr-defined]
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert exc.value.response["Error"]["Code"] == "AccessDenied"
    assert "s3:ListBucket" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=LAB_BUCKET, Key="allowed/not-there.txt")  # type: ignore[attr-defined]
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    lister = make_user(srv, "prop-lister", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{LAB_BUCKET}"},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{LAB_BUCKET}/allowed/*"}]})
    s3_lister = srv.client("s3", credentials=lister)
    with pytest.raises(ClientError) as exc:
        s3_lister.get_object(Bucket=LAB_BUCKET, Key="allowed/not-there.txt")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert exc.value.response["Error"]["Code"] == "NoSuchKey"
    with pytest.raises(ClientError) as exc:   # no GetObject outside allowed/: 403 before any lookup
        s3_lister.get_object(Bucket=LAB_BUCKET, Key="blocked/not-there.txt")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403

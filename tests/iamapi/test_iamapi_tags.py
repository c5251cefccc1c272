"""Tag keys and values over HTTP (boto3): IAM's character class, AWS's ValidationError, nothing changed.

IAM's model (botocore ``tagKeyType``/``tagValueType``) allows ``[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]`` (``+``
for keys, ``*`` for values); AWS answers e.g. ``1 validation error detected: Value 'MOJ D&T' at
'tags.10.member.value' failed to satisfy constraint: Member must satisfy regular expression pattern:
[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*`` (N is the 1-based position of the tag in the request).
"""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from iam_helpers import POD_TRUST, S3_READER, doc, error

KEY_PATTERN = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+"
VALUE_PATTERN = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*"
ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/TAGS0000000000000000000000000000"

#: Letters of several scripts, a space, digits of two scripts and every allowed punctuation mark.
GOOD = [
    {"Key": "Équipe 名前 _.:/=+-@", "Value": "Δ 42 ١٢ _.:/=+-@"},
    {"Key": "empty", "Value": ""},
    {"Key": "nbsp\u00a0key", "Value": "ünïcødé\u2003wide-space"},
]
BAD_CHARS = ["*", "&", "!", "#", ",", "\t", "\n", "?", "$", "%", "'", "(", "~", "😀"]


def bad(value: str, member: str) -> tuple[int, str, str]:
    pattern = KEY_PATTERN if member.endswith(".key") else VALUE_PATTERN
    return (
        400,
        "ValidationError",
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {pattern}",
    )


def test_patterns_are_botocores() -> None:
    model = botocore.session.get_session().get_service_model("iam")
    assert model.shape_for("tagKeyType").metadata["pattern"] == KEY_PATTERN
    assert model.shape_for("tagValueType").metadata["pattern"] == VALUE_PATTERN


def roles(iam: Any) -> set[str]:
    return {r["RoleName"] for r in iam.list_roles()["Roles"]}


def test_create_role_rejects_bad_key_and_value(iam: Any) -> None:
    before = roles(iam)
    assert error(
        iam.create_role, RoleName="t-bad-key", AssumeRolePolicyDocument=doc(POD_TRUST),
        Tags=[{"Key": "team*", "Value": "ml"}],
    ) == bad("team*", "tags.1.member.key")
    assert error(
        iam.create_role, RoleName="t-bad-value", AssumeRolePolicyDocument=doc(POD_TRUST),
        Tags=[{"Key": "team", "Value": "ml&ops"}],
    ) == bad("ml&ops", "tags.1.member.value")
    # N counts from 1 in request order: the third tag is the bad one
    assert error(
        iam.create_role, RoleName="t-bad-third", AssumeRolePolicyDocument=doc(POD_TRUST),
        Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}, {"Key": "c", "Value": "x!"}],
    ) == bad("x!", "tags.3.member.value")
    assert roles(iam) == before
    assert error(iam.get_role, RoleName="t-bad-key")[1] == "NoSuchEntity"


@pytest.fixture(scope="module")
def chars_role(iam: Any) -> str:
    role = iam.create_role(RoleName="t-chars", AssumeRolePolicyDocument=doc(POD_TRUST))["Role"]
    return str(role["RoleName"])


@pytest.mark.parametrize("char", BAD_CHARS)
def test_every_bad_character_is_rejected_in_key_and_value(iam: Any, chars_role: str, char: str) -> None:
    key, value = f"k{char}", f"v{char}"
    assert error(iam.tag_role, RoleName=chars_role, Tags=[{"Key": key, "Value": "v"}]) == bad(
        key, "tags.1.member.key"
    )
    assert error(iam.tag_role, RoleName=chars_role, Tags=[{"Key": "k", "Value": value}]) == bad(
        value, "tags.1.member.value"
    )
    assert iam.list_role_tags(RoleName=chars_role)["Tags"] == []


def test_tag_role_and_user_change_nothing_on_bad_input(iam: Any) -> None:
    iam.create_role(RoleName="t-tagged", AssumeRolePolicyDocument=doc(POD_TRUST),
                    Tags=[{"Key": "env", "Value": "dev"}])
    iam.create_user(UserName="t-tagged-user", Tags=[{"Key": "env", "Value": "dev"}])
    # a good tag before the bad one is not applied either
    tags = [{"Key": "owner", "Value": "me"}, {"Key": "env", "Value": "prod;drop"}]
    assert error(iam.tag_role, RoleName="t-tagged", Tags=tags) == bad("prod;drop", "tags.2.member.value")
    assert error(iam.tag_user, UserName="t-tagged-user", Tags=tags) == bad("prod;drop", "tags.2.member.value")
    assert iam.list_role_tags(RoleName="t-tagged")["Tags"] == [{"Key": "env", "Value": "dev"}]
    assert iam.list_user_tags(UserName="t-tagged-user")["Tags"] == [{"Key": "env", "Value": "dev"}]
    assert iam.get_role(RoleName="t-tagged")["Role"]["Tags"] == [{"Key": "env", "Value": "dev"}]


def test_create_user_policy_and_oidc_provider_reject_bad_tags(iam: Any, server: Any) -> None:
    users = {u["UserName"] for u in iam.list_users()["Users"]}
    assert error(iam.create_user, UserName="t-user", Tags=[{"Key": "a<b", "Value": "v"}]) == bad(
        "a<b", "tags.1.member.key"
    )
    assert {u["UserName"] for u in iam.list_users()["Users"]} == users
    policies = {p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]}
    assert error(
        iam.create_policy, PolicyName="t-policy", PolicyDocument=doc(S3_READER),
        Tags=[{"Key": "ok", "Value": "a|b"}],
    ) == bad("a|b", "tags.1.member.value")
    assert {p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]} == policies
    providers = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert error(
        iam.create_open_id_connect_provider, Url=ISSUER, ClientIDList=["sts.amazonaws.com"],
        Tags=[{"Key": "k", "Value": "{x}"}],
    ) == bad("{x}", "tags.1.member.value")
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == providers


def test_good_tags_are_accepted_everywhere(iam: Any) -> None:
    iam.create_role(RoleName="t-good", AssumeRolePolicyDocument=doc(POD_TRUST), Tags=GOOD[:1])
    iam.tag_role(RoleName="t-good", Tags=GOOD[1:])
    assert iam.list_role_tags(RoleName="t-good")["Tags"] == GOOD
    iam.create_user(UserName="t-good-user", Tags=GOOD)
    assert iam.list_user_tags(UserName="t-good-user")["Tags"] == GOOD
    policy = iam.create_policy(PolicyName="t-good-policy", PolicyDocument=doc(S3_READER), Tags=GOOD)["Policy"]
    arn = policy["Arn"]
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == GOOD
    provider = iam.create_open_id_connect_provider(Url=ISSUER, ClientIDList=["sts.amazonaws.com"])
    provider_arn = provider["OpenIDConnectProviderArn"]
    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn, Tags=GOOD)
    listed = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=provider_arn)
    assert listed["Tags"] == GOOD

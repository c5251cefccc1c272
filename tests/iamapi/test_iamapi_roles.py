"""Roles over HTTP with boto3: CRUD, tags, MaxSessionDuration, errors with status/code/message."""

from __future__ import annotations

from typing import Any

from iam_helpers import POD_TRUST, S3_READER, doc, error


def test_role_lifecycle(iam: Any, server: Any) -> None:
    acct = server.account_id
    created = iam.create_role(
        RoleName="s3-reader",
        Path="/pods/",
        AssumeRolePolicyDocument=doc(POD_TRUST),
        Description="reads reports",
        MaxSessionDuration=7200,
        Tags=[{"Key": "team", "Value": "data"}],
    )["Role"]
    assert created["Arn"] == f"arn:aws:iam::{acct}:role/pods/s3-reader"
    assert created["RoleId"].startswith("AROA") and len(created["RoleId"]) == 20
    assert created["AssumeRolePolicyDocument"] == POD_TRUST  # botocore decodes the URL-encoded JSON
    assert created["Tags"] == [{"Key": "team", "Value": "data"}]

    got = iam.get_role(RoleName="s3-reader")["Role"]
    assert got["MaxSessionDuration"] == 7200 and got["Description"] == "reads reports"
    assert got["RoleId"] == created["RoleId"] and got["CreateDate"] == created["CreateDate"]
    assert "s3-reader" in [r["RoleName"] for r in iam.list_roles()["Roles"]]
    assert [r["RoleName"] for r in iam.list_roles(PathPrefix="/pods/")["Roles"]] == ["s3-reader"]
    assert iam.list_roles(PathPrefix="/nothing/")["Roles"] == []

    iam.update_role(RoleName="s3-reader", Description="new", MaxSessionDuration=43200)
    got = iam.get_role(RoleName="s3-reader")["Role"]
    assert got["Description"] == "new" and got["MaxSessionDuration"] == 43200

    trust2 = {**POD_TRUST, "Statement": [{**POD_TRUST["Statement"][0], "Action": "sts:AssumeRole"}]}
    iam.update_assume_role_policy(RoleName="s3-reader", PolicyDocument=doc(trust2))
    assert iam.get_role(RoleName="s3-reader")["Role"]["AssumeRolePolicyDocument"] == trust2

    iam.tag_role(RoleName="s3-reader", Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "ml"}])
    assert iam.list_role_tags(RoleName="s3-reader")["Tags"] == [
        {"Key": "team", "Value": "ml"},
        {"Key": "env", "Value": "dev"},
    ]
    iam.untag_role(RoleName="s3-reader", TagKeys=["team"])
    assert iam.list_role_tags(RoleName="s3-reader")["Tags"] == [{"Key": "env", "Value": "dev"}]

    iam.delete_role(RoleName="s3-reader")
    assert error(iam.get_role, RoleName="s3-reader") == (
        404,
        "NoSuchEntity",
        "The role with name s3-reader cannot be found.",
    )


def test_role_errors_change_nothing(iam: Any) -> None:
    iam.create_role(RoleName="stable", AssumeRolePolicyDocument=doc(POD_TRUST), MaxSessionDuration=3600)
    before = iam.get_role(RoleName="stable")["Role"]

    assert error(iam.create_role, RoleName="stable", AssumeRolePolicyDocument=doc(POD_TRUST)) == (
        409,
        "EntityAlreadyExists",
        "Role with name stable already exists.",
    )
    assert error(iam.create_role, RoleName="STABLE", AssumeRolePolicyDocument=doc(POD_TRUST))[1] == (
        "EntityAlreadyExists"
    )
    assert error(iam.update_role, RoleName="stable", MaxSessionDuration=50000) == (
        400,
        "ValidationError",
        "1 validation error detected: Value '50000' at 'maxSessionDuration' failed to satisfy constraint: "
        "Member must have value less than or equal to 43200",
    )
    assert error(
        iam.create_role, RoleName="long", AssumeRolePolicyDocument=doc(POD_TRUST), MaxSessionDuration=43201
    )[:2] == (400, "ValidationError")
    status, code, message = error(
        iam.create_role, RoleName="bad name!", AssumeRolePolicyDocument=doc(POD_TRUST)
    )
    assert (status, code) == (400, "ValidationError") and "roleName" in message
    # malformed trust policy: an identity policy shape without Principal
    assert error(iam.create_role, RoleName="no-trust", AssumeRolePolicyDocument=doc(S3_READER))[:2] == (
        400,
        "MalformedPolicyDocument",
    )
    assert error(iam.create_role, RoleName="not-json", AssumeRolePolicyDocument="{nope") == (
        400,
        "MalformedPolicyDocument",
        "Syntax errors in policy.",
    )
    assert error(iam.update_assume_role_policy, RoleName="stable", PolicyDocument="{nope")[1] == (
        "MalformedPolicyDocument"
    )
    assert error(iam.update_role, RoleName="ghost", Description="x") == (
        404,
        "NoSuchEntity",
        "The role with name ghost cannot be found.",
    )
    names = [r["RoleName"] for r in iam.list_roles()["Roles"]]
    assert "no-trust" not in names and "not-json" not in names and "long" not in names
    assert "bad name!" not in names
    assert iam.get_role(RoleName="stable")["Role"] == before


def test_delete_conflict(iam: Any) -> None:
    iam.create_role(RoleName="attached", AssumeRolePolicyDocument=doc(POD_TRUST))
    arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    iam.attach_role_policy(RoleName="attached", PolicyArn=arn)
    assert error(iam.delete_role, RoleName="attached") == (
        409,
        "DeleteConflict",
        "Cannot delete entity, must detach all policies first.",
    )
    assert iam.get_role(RoleName="attached")["Role"]["RoleName"] == "attached"
    iam.detach_role_policy(RoleName="attached", PolicyArn=arn)
    iam.put_role_policy(RoleName="attached", PolicyName="inline", PolicyDocument=doc(S3_READER))
    assert error(iam.delete_role, RoleName="attached") == (
        409,
        "DeleteConflict",
        "Cannot delete entity, must delete policies first.",
    )
    iam.delete_role_policy(RoleName="attached", PolicyName="inline")
    iam.delete_role(RoleName="attached")


def test_list_roles_paging(iam: Any) -> None:
    for i in range(5):
        iam.create_role(RoleName=f"page-{i}", Path="/paging/", AssumeRolePolicyDocument=doc(POD_TRUST))
    first = iam.list_roles(PathPrefix="/paging/", MaxItems=2)
    assert first["IsTruncated"] and len(first["Roles"]) == 2
    names = [
        r["RoleName"]
        for page in iam.get_paginator("list_roles").paginate(
            PathPrefix="/paging/", PaginationConfig={"PageSize": 2}
        )
        for r in page["Roles"]
    ]
    assert names == [f"page-{i}" for i in range(5)]


def test_input_validation(iam: Any, server: Any) -> None:
    assert error(iam.create_role, RoleName="x" * 65, AssumeRolePolicyDocument=doc(POD_TRUST)) == (
        400,
        "ValidationError",
        f"1 validation error detected: Value '{'x' * 65}' at 'roleName' failed to satisfy constraint: "
        "Member must have length less than or equal to 64",
    )
    assert error(iam.create_role, RoleName="p", Path="no-slash", AssumeRolePolicyDocument=doc(POD_TRUST)) == (
        400,
        "ValidationError",
        "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric "
        "characters and/or / characters.",
    )
    bad_arn = f"arn:aws:iam::{server.account_id}:role/not-a-policy"
    assert error(iam.get_policy, PolicyArn=bad_arn) == (400, "InvalidInput", f"ARN {bad_arn} is not valid.")
    assert error(
        iam.tag_role, RoleName="any", Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]
    ) == (400, "InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
    assert "p" not in [r["RoleName"] for r in iam.list_roles()["Roles"]]
    # GetUser without a name describes the caller
    me = iam.get_user()["User"]
    assert me["UserName"] == "podid-admin" and me["Arn"].endswith(":user/podid-admin")

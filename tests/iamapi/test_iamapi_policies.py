"""Managed policies and versions, attachments, inline policies and boundaries over HTTP (boto3)."""

from __future__ import annotations

from typing import Any

from iam_helpers import POD_TRUST, S3_READER, doc, error

S3RO = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"


def test_policy_versions(iam: Any, server: Any) -> None:
    acct = server.account_id
    pol = iam.create_policy(
        PolicyName="s3-reader", Path="/app/", PolicyDocument=doc(S3_READER), Description="reads"
    )["Policy"]
    arn = f"arn:aws:iam::{acct}:policy/app/s3-reader"
    assert pol["Arn"] == arn and pol["PolicyId"].startswith("ANPA") and pol["DefaultVersionId"] == "v1"
    assert pol["AttachmentCount"] == 0 and pol["IsAttachable"]
    got = iam.get_policy(PolicyArn=arn)["Policy"]
    assert got["Description"] == "reads" and got["PolicyId"] == pol["PolicyId"]
    v1 = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert v1["Document"] == S3_READER and v1["IsDefaultVersion"] and v1["VersionId"] == "v1"
    # the module's server is shared: other tests' policies may be listed too, none under /app/
    local = [p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"]]
    assert arn in local
    assert [p["Arn"] for p in iam.list_policies(Scope="Local", PathPrefix="/app/")["Policies"]] == [arn]

    for i in range(2, 6):
        v = iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(S3_READER), SetAsDefault=(i == 4))
        assert v["PolicyVersion"]["VersionId"] == f"v{i}"
    assert error(iam.create_policy_version, PolicyArn=arn, PolicyDocument=doc(S3_READER)) == (
        409,
        "LimitExceeded",
        "A managed policy can have up to 5 versions. Before you create a new version, you must delete an "
        "existing version.",
    )
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in versions] == ["v5", "v4", "v3", "v2", "v1"]
    assert [v["VersionId"] for v in versions if v["IsDefaultVersion"]] == ["v4"]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v4"

    assert error(iam.delete_policy_version, PolicyArn=arn, VersionId="v4") == (
        409,
        "DeleteConflict",
        "Cannot delete the default version of a policy.",
    )
    assert error(iam.get_policy_version, PolicyArn=arn, VersionId="v9") == (
        404,
        "NoSuchEntity",
        f"Policy {arn} version v9 does not exist or is not attachable.",
    )
    assert error(iam.set_default_policy_version, PolicyArn=arn, VersionId="v9")[:2] == (404, "NoSuchEntity")
    assert error(iam.delete_policy, PolicyArn=arn) == (
        409,
        "DeleteConflict",
        "This policy has more than one version. Before you delete a policy, you must delete the policy's "
        "versions. The default version is deleted with the policy.",
    )
    assert len(iam.list_policy_versions(PolicyArn=arn)["Versions"]) == 5  # nothing changed
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    for vid in ("v2", "v3", "v4", "v5"):
        iam.delete_policy_version(PolicyArn=arn, VersionId=vid)
    iam.delete_policy(PolicyArn=arn)
    assert error(iam.get_policy, PolicyArn=arn) == (404, "NoSuchEntity", f"Policy {arn} was not found.")


def test_policy_errors_change_nothing(iam: Any) -> None:
    iam.create_policy(PolicyName="dup", PolicyDocument=doc(S3_READER))
    assert error(iam.create_policy, PolicyName="dup", PolicyDocument=doc(S3_READER)) == (
        409,
        "EntityAlreadyExists",
        "A policy called dup already exists. Duplicate names are not allowed.",
    )
    assert error(iam.create_policy, PolicyName="bad", PolicyDocument="{not json") == (
        400,
        "MalformedPolicyDocument",
        "Syntax errors in policy.",
    )
    with_principal = {"Version": "2012-10-17", "Statement": [{**POD_TRUST["Statement"][0], "Resource": "*"}]}
    assert error(iam.create_policy, PolicyName="bad", PolicyDocument=doc(with_principal)) == (
        400,
        "MalformedPolicyDocument",
        "Policy document should not specify a principal.",
    )
    huge = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::b/{'x' * 7000}"}
        ],
    }
    assert error(iam.create_policy, PolicyName="bad", PolicyDocument=doc(huge)) == (
        409,
        "LimitExceeded",
        "Cannot exceed quota for PolicySize: 6144",
    )
    names = [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]]
    assert names == ["dup"]


def test_aws_managed_policies(iam: Any) -> None:
    aws = [p for page in iam.get_paginator("list_policies").paginate(Scope="AWS") for p in page["Policies"]]
    names = {p["PolicyName"] for p in aws}
    assert {"AmazonS3ReadOnlyAccess", "AdministratorAccess", "ReadOnlyAccess"} <= names
    assert all(p["Arn"].startswith("arn:aws:iam::aws:policy/") for p in aws)
    pol = iam.get_policy(PolicyArn=S3RO)["Policy"]
    v = iam.get_policy_version(PolicyArn=S3RO, VersionId=pol["DefaultVersionId"])["PolicyVersion"]
    assert "s3:Get*" in v["Document"]["Statement"][0]["Action"]
    attached = iam.list_policies(OnlyAttached=True)["Policies"]
    assert "arn:aws:iam::aws:policy/AdministratorAccess" in [p["Arn"] for p in attached]  # podid-admin
    assert error(iam.delete_policy, PolicyArn=S3RO)[1] == "NoSuchEntity"


def test_attachments_inline_boundaries(iam: Any, server: Any) -> None:
    acct = server.account_id
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=doc(POD_TRUST))
    iam.create_user(UserName="dev")
    pol = iam.create_policy(PolicyName="reader", PolicyDocument=doc(S3_READER))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="app", PolicyArn=pol)
    iam.attach_role_policy(RoleName="app", PolicyArn=S3RO)
    iam.attach_user_policy(UserName="dev", PolicyArn=pol)
    assert iam.list_attached_role_policies(RoleName="app")["AttachedPolicies"] == [
        {"PolicyName": "reader", "PolicyArn": pol},
        {"PolicyName": "AmazonS3ReadOnlyAccess", "PolicyArn": S3RO},
    ]
    assert iam.list_attached_user_policies(UserName="dev")["AttachedPolicies"] == [
        {"PolicyName": "reader", "PolicyArn": pol}
    ]
    assert iam.get_policy(PolicyArn=pol)["Policy"]["AttachmentCount"] == 2
    entities = iam.list_entities_for_policy(PolicyArn=pol)
    assert [r["RoleName"] for r in entities["PolicyRoles"]] == ["app"]
    assert [u["UserName"] for u in entities["PolicyUsers"]] == ["dev"] and entities["PolicyGroups"] == []
    assert iam.list_entities_for_policy(PolicyArn=pol, EntityFilter="Role")["PolicyUsers"] == []
    assert iam.list_instance_profiles_for_role(RoleName="app")["InstanceProfiles"] == []
    assert iam.list_groups_for_user(UserName="dev")["Groups"] == []
    assert error(iam.delete_policy, PolicyArn=pol) == (
        409,
        "DeleteConflict",
        "Cannot delete a policy attached to entities.",
    )
    missing = f"arn:aws:iam::{acct}:policy/missing"
    assert error(iam.attach_role_policy, RoleName="app", PolicyArn=missing) == (
        404,
        "NoSuchEntity",
        f"Policy {missing} does not exist or is not attachable.",
    )
    assert error(iam.attach_role_policy, RoleName="ghost", PolicyArn=pol) == (
        404,
        "NoSuchEntity",
        "The role with name ghost cannot be found.",
    )
    assert error(iam.detach_user_policy, UserName="dev", PolicyArn=S3RO) == (
        404,
        "NoSuchEntity",
        f"Policy {S3RO} was not found.",
    )
    assert len(iam.list_attached_role_policies(RoleName="app")["AttachedPolicies"]) == 2

    # inline policies
    iam.put_role_policy(RoleName="app", PolicyName="extra", PolicyDocument=doc(S3_READER))
    iam.put_user_policy(UserName="dev", PolicyName="extra", PolicyDocument=doc(S3_READER))
    assert iam.list_role_policies(RoleName="app")["PolicyNames"] == ["extra"]
    got = iam.get_role_policy(RoleName="app", PolicyName="extra")
    assert got["PolicyDocument"] == S3_READER and got["RoleName"] == "app"
    assert iam.get_user_policy(UserName="dev", PolicyName="extra")["PolicyDocument"] == S3_READER
    assert error(iam.get_role_policy, RoleName="app", PolicyName="nope") == (
        404,
        "NoSuchEntity",
        "The role policy with name nope cannot be found.",
    )
    assert error(iam.put_role_policy, RoleName="app", PolicyName="bad", PolicyDocument="[]")[:2] == (
        400,
        "MalformedPolicyDocument",
    )
    assert iam.list_role_policies(RoleName="app")["PolicyNames"] == ["extra"]

    # permissions boundaries
    iam.put_role_permissions_boundary(RoleName="app", PermissionsBoundary=S3RO)
    assert iam.get_role(RoleName="app")["Role"]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": S3RO,
    }
    iam.put_user_permissions_boundary(UserName="dev", PermissionsBoundary=pol)
    assert iam.get_user(UserName="dev")["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == pol
    assert error(iam.put_role_permissions_boundary, RoleName="app", PermissionsBoundary=missing)[:2] == (
        404,
        "NoSuchEntity",
    )
    iam.delete_role_permissions_boundary(RoleName="app")
    iam.delete_user_permissions_boundary(UserName="dev")
    assert "PermissionsBoundary" not in iam.get_role(RoleName="app")["Role"]

    # clean up in IAM's required order
    iam.detach_role_policy(RoleName="app", PolicyArn=pol)
    iam.detach_role_policy(RoleName="app", PolicyArn=S3RO)
    iam.detach_user_policy(UserName="dev", PolicyArn=pol)
    iam.delete_role_policy(RoleName="app", PolicyName="extra")
    iam.delete_user_policy(UserName="dev", PolicyName="extra")
    iam.delete_policy(PolicyArn=pol)
    iam.delete_role(RoleName="app")
    iam.delete_user(UserName="dev")


def test_attach_limit(iam: Any) -> None:
    iam.create_role(RoleName="many", AssumeRolePolicyDocument=doc(POD_TRUST))
    arns = [p["Arn"] for p in iam.list_policies(Scope="AWS", MaxItems=11)["Policies"]]
    for arn in arns[:10]:
        iam.attach_role_policy(RoleName="many", PolicyArn=arn)
    assert error(iam.attach_role_policy, RoleName="many", PolicyArn=arns[10]) == (
        409,
        "LimitExceeded",
        "Cannot exceed quota for PoliciesPerRole: 10",
    )
    assert len(iam.list_attached_role_policies(RoleName="many")["AttachedPolicies"]) == 10

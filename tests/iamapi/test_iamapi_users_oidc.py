"""Users, access keys, OIDC providers and the AccessDenied path over HTTP (boto3)."""

from __future__ import annotations

import json
from typing import Any

from iam_helpers import BUCKET, POD_TRUST, PREFIX, S3_READER, doc, error

ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"


def test_users_and_access_keys(iam: Any, server: Any) -> None:
    acct = server.account_id
    u = iam.create_user(UserName="alice", Path="/team/", Tags=[{"Key": "k", "Value": "v"}])["User"]
    assert u["Arn"] == f"arn:aws:iam::{acct}:user/team/alice" and u["UserId"].startswith("AIDA")
    assert iam.get_user(UserName="alice")["User"]["Tags"] == [{"Key": "k", "Value": "v"}]
    assert "alice" in [x["UserName"] for x in iam.list_users()["Users"]]
    assert error(iam.create_user, UserName="alice") == (
        409,
        "EntityAlreadyExists",
        "User with name alice already exists.",
    )
    assert error(iam.get_user, UserName="bob") == (
        404,
        "NoSuchEntity",
        "The user with name bob cannot be found.",
    )

    k1 = iam.create_access_key(UserName="alice")["AccessKey"]
    assert (
        k1["AccessKeyId"].startswith("AKIA") and len(k1["SecretAccessKey"]) == 40 and k1["Status"] == "Active"
    )
    k2 = iam.create_access_key(UserName="alice")["AccessKey"]
    assert error(iam.create_access_key, UserName="alice") == (
        409,
        "LimitExceeded",
        "Cannot exceed quota for AccessKeysPerUser: 2",
    )
    listed = iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
    assert {k["AccessKeyId"] for k in listed} == {k1["AccessKeyId"], k2["AccessKeyId"]}
    assert all("SecretAccessKey" not in k for k in listed)

    # the new key authenticates; with no policy it may not even read itself
    alice = server.client("iam", credentials=(k1["AccessKeyId"], k1["SecretAccessKey"]))
    status, code, message = error(alice.get_user)
    assert (status, code) == (403, "AccessDenied")
    assert message == (
        f"User: arn:aws:iam::{acct}:user/team/alice is not authorized to perform: iam:GetUser on resource: "
        f"arn:aws:iam::{acct}:user/team/alice because no identity-based policy allows the iam:GetUser action"
    )

    iam.update_access_key(UserName="alice", AccessKeyId=k1["AccessKeyId"], Status="Inactive")
    # the very next request with the deactivated key is refused (no stale credential cache)
    assert error(alice.get_user)[:2] == (403, "InvalidClientTokenId")
    iam.update_access_key(UserName="alice", AccessKeyId=k1["AccessKeyId"], Status="Active")
    assert error(alice.get_user)[:2] == (403, "AccessDenied")
    iam.update_access_key(UserName="alice", AccessKeyId=k1["AccessKeyId"], Status="Inactive")
    assert {
        k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
    }[k1["AccessKeyId"]] == "Inactive"
    assert error(iam.update_access_key, UserName="alice", AccessKeyId=k1["AccessKeyId"], Status="Bogus")[
        :2
    ] == (
        400,
        "ValidationError",
    )
    assert error(iam.delete_user, UserName="alice") == (
        409,
        "DeleteConflict",
        "Cannot delete entity, must delete access keys first.",
    )
    assert error(iam.delete_access_key, UserName="alice", AccessKeyId="AKIAAAAAAAAAAAAAAAAA") == (
        404,
        "NoSuchEntity",
        "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found.",
    )
    iam.delete_access_key(UserName="alice", AccessKeyId=k1["AccessKeyId"])
    assert error(alice.get_user)[:2] == (403, "InvalidClientTokenId")
    iam.delete_access_key(UserName="alice", AccessKeyId=k2["AccessKeyId"])
    iam.delete_user(UserName="alice")
    assert "alice" not in [x["UserName"] for x in iam.list_users()["Users"]]


def test_read_only_s3_principal_is_denied_iam_writes(iam: Any, server: Any) -> None:
    acct = server.account_id
    iam.create_user(UserName="s3-only")
    iam.put_user_policy(UserName="s3-only", PolicyName="s3-reader", PolicyDocument=doc(S3_READER))
    key = iam.create_access_key(UserName="s3-only")["AccessKey"]
    limited = server.client("iam", credentials=(key["AccessKeyId"], key["SecretAccessKey"]))
    gen_roles = [r["RoleName"] for r in iam.list_roles()["Roles"]]
    assert error(limited.create_role, RoleName="escalate", AssumeRolePolicyDocument=doc(POD_TRUST)) == (
        403,
        "AccessDenied",
        f"User: arn:aws:iam::{acct}:user/s3-only is not authorized to perform: iam:CreateRole on resource: "
        f"arn:aws:iam::{acct}:role/escalate because no identity-based policy allows the iam:CreateRole "
        "action",
    )
    assert error(
        limited.attach_user_policy,
        UserName="s3-only",
        PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess",
    )[:2] == (403, "AccessDenied")
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == gen_roles
    assert iam.list_attached_user_policies(UserName="s3-only")["AttachedPolicies"] == []

    # and the simulator agrees with the gateway
    res = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{acct}:user/s3-only",
        ActionNames=["iam:CreateRole", "s3:GetObject"],
        ResourceArns=[f"arn:aws:s3:::{BUCKET}/{PREFIX}/q1.csv"],
    )["EvaluationResults"]
    decisions = {r["EvalActionName"]: r["EvalDecision"] for r in res}
    assert decisions == {"iam:CreateRole": "implicitDeny", "s3:GetObject": "allowed"}
    matched = next(r for r in res if r["EvalActionName"] == "s3:GetObject")["MatchedStatements"]
    assert matched[0]["SourcePolicyId"] == "s3-reader" and matched[0]["SourcePolicyType"] == "user"


def test_oidc_providers(iam: Any, server: Any) -> None:
    acct = server.account_id
    arn = iam.create_open_id_connect_provider(
        Url=ISSUER,
        ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"],
    )["OpenIDConnectProviderArn"]
    host = ISSUER.removeprefix("https://")
    assert arn == f"arn:aws:iam::{acct}:oidc-provider/{host}"
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == host and got["ClientIDList"] == ["sts.amazonaws.com"]
    assert got["ThumbprintList"] == ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]
    assert {"Arn": arn} in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert error(iam.create_open_id_connect_provider, Url=ISSUER, ClientIDList=["x"]) == (
        409,
        "EntityAlreadyExists",
        f"Provider with url {ISSUER} already exists.",
    )
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="my-app")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="my-app")
    iam.remove_client_id_from_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, ClientID="sts.amazonaws.com"
    )
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"] == ["my-app"]
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert error(iam.get_open_id_connect_provider, OpenIDConnectProviderArn=arn) == (
        404,
        "NoSuchEntity",
        f"OpenIDConnect Provider not found for arn {arn}",
    )
    assert error(iam.create_open_id_connect_provider, Url="http://insecure.example.com")[:2] == (
        400,
        "InvalidInput",
    )
    for bad in ("http://127.0.0.1.example.com/x", "ftp://127.0.0.1/x", "https://", "127.0.0.1/x"):
        assert error(iam.create_open_id_connect_provider, Url=bad)[:2] == (400, "InvalidInput"), bad
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []
    # `podid up --issuer-http` issuers are plain http on loopback: accepted, stored without the scheme
    local = iam.create_open_id_connect_provider(Url="http://127.0.0.1:4566/clusters/c/oidc/id/AB",
                                                ClientIDList=["sts.amazonaws.com"])
    assert local["OpenIDConnectProviderArn"].endswith(":oidc-provider/127.0.0.1:4566/clusters/c/oidc/id/AB")
    # a URL with a port (only podid's own issuers have one) is answered with its https:// - without
    # it, it would not parse as a URL (Go's net/url), which broke the Terraform provider's comparison
    got_local = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=local["OpenIDConnectProviderArn"])
    assert got_local["Url"] == "https://127.0.0.1:4566/clusters/c/oidc/id/AB"
    same_https = "https://127.0.0.1:4566/clusters/c/oidc/id/AB"
    assert error(iam.create_open_id_connect_provider, Url=same_https)[:2] == (409, "EntityAlreadyExists")
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=local["OpenIDConnectProviderArn"])


def test_simulate_custom_policy_and_explicit_deny(iam: Any, server: Any) -> None:
    res = iam.simulate_custom_policy(
        PolicyInputList=[doc(S3_READER)],
        ActionNames=["s3:ListBucket"],
        ResourceArns=[f"arn:aws:s3:::{BUCKET}"],
        ContextEntries=[
            {
                "ContextKeyName": "s3:prefix",
                "ContextKeyValues": [f"{PREFIX}/2024"],
                "ContextKeyType": "string",
            }
        ],
    )["EvaluationResults"]
    assert res[0]["EvalDecision"] == "allowed"
    assert res[0]["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.1"
    res = iam.simulate_custom_policy(
        PolicyInputList=[doc(S3_READER)],
        ActionNames=["s3:ListBucket"],
        ResourceArns=[f"arn:aws:s3:::{BUCKET}"],
        ContextEntries=[
            {"ContextKeyName": "s3:prefix", "ContextKeyValues": ["other/"], "ContextKeyType": "string"}
        ],
    )["EvaluationResults"]
    assert res[0]["EvalDecision"] == "implicitDeny" and res[0]["MatchedStatements"] == []

    acct = server.account_id
    iam.create_role(RoleName="sim", AssumeRolePolicyDocument=doc(POD_TRUST))
    iam.attach_role_policy(RoleName="sim", PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    deny = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "NoSecrets",
                "Effect": "Deny",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::secret/*",
            }
        ],
    }
    iam.put_role_policy(RoleName="sim", PolicyName="deny-secret", PolicyDocument=json.dumps(deny, indent=2))
    res = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{acct}:role/sim",
        ActionNames=["s3:GetObject"],
        ResourceArns=["arn:aws:s3:::secret/x", "arn:aws:s3:::public/x"],
    )["EvaluationResults"]
    by_resource = {r["EvalResourceName"]: r for r in res}
    secret = by_resource["arn:aws:s3:::secret/x"]
    assert secret["EvalDecision"] == "explicitDeny"
    assert secret["MatchedStatements"][0]["SourcePolicyId"] == "deny-secret"
    assert secret["MatchedStatements"][0]["StartPosition"]["Line"] == 4
    public = by_resource["arn:aws:s3:::public/x"]
    assert public["EvalDecision"] == "allowed"
    assert public["MatchedStatements"][0] == {
        "SourcePolicyId": "AmazonS3ReadOnlyAccess",
        "SourcePolicyType": "aws-managed",
        "StartPosition": public["MatchedStatements"][0]["StartPosition"],
    }
    assert error(
        iam.simulate_principal_policy,
        PolicySourceArn=f"arn:aws:iam::{acct}:role/ghost",
        ActionNames=["s3:GetObject"],
    ) == (404, "NoSuchEntity", "The role with name ghost cannot be found.")
    assert error(iam.simulate_custom_policy, PolicyInputList=["{bad"], ActionNames=["s3:GetObject"])[:2] == (
        400,
        "MalformedPolicyDocument",
    )


def test_account_authorization_details(iam: Any) -> None:
    iam.create_role(RoleName="detailed", AssumeRolePolicyDocument=doc(POD_TRUST))
    iam.put_role_policy(RoleName="detailed", PolicyName="inl", PolicyDocument=doc(S3_READER))
    details = iam.get_account_authorization_details()
    role = next(r for r in details["RoleDetailList"] if r["RoleName"] == "detailed")
    assert role["RolePolicyList"] == [{"PolicyName": "inl", "PolicyDocument": S3_READER}]
    assert role["AssumeRolePolicyDocument"] == POD_TRUST
    admin = next(u for u in details["UserDetailList"] if u["UserName"] == "podid-admin")
    assert admin["AttachedManagedPolicies"] == [
        {"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}
    ]
    admin_policy = next(p for p in details["Policies"] if p["PolicyName"] == "AdministratorAccess")
    assert admin_policy["PolicyVersionList"][0]["Document"]["Statement"][0]["Action"] == "*"
    only_roles = iam.get_account_authorization_details(Filter=["Role"])
    assert only_roles["UserDetailList"] == [] and only_roles["Policies"] == []

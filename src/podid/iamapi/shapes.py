"""Store records -> IAM output shapes (dicts the protocol layer serialises)."""

from __future__ import annotations

from typing import Any

from podid.iamapi.common import encode_document
from podid.store import (
    AccessKeyRecord,
    AttachedPolicy,
    OidcProviderRecord,
    PolicyRecord,
    PolicyVersionRecord,
    RoleRecord,
    UserRecord,
)


def boundary(arn: str | None) -> dict[str, Any]:
    if not arn:
        return {}
    return {
        "PermissionsBoundary": {
            "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
            "PermissionsBoundaryArn": arn,
        }
    }


def principal_details(permissions_boundary: str | None, tags: list[dict[str, str]]) -> dict[str, Any]:
    """What a full user/role shape adds: PermissionsBoundary and Tags, each only when set."""
    out = boundary(permissions_boundary)
    if tags:
        out["Tags"] = tags
    return out


def user(u: UserRecord, *, full: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Path": u.path,
        "UserName": u.name,
        "UserId": u.user_id,
        "Arn": u.arn,
        "CreateDate": u.create_date,
    }
    if full:
        out.update(principal_details(u.permissions_boundary, u.tags))
    return out


def role(r: RoleRecord, *, full: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Path": r.path,
        "RoleName": r.name,
        "RoleId": r.role_id,
        "Arn": r.arn,
        "CreateDate": r.create_date,
        "AssumeRolePolicyDocument": encode_document(r.assume_role_policy_document),
        "MaxSessionDuration": r.max_session_duration,
    }
    if r.description is not None:
        out["Description"] = r.description
    if full:
        out.update(principal_details(r.permissions_boundary, r.tags))
        out["RoleLastUsed"] = {}
    return out


def access_key(k: AccessKeyRecord, *, secret: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "UserName": k.user_name,
        "AccessKeyId": k.access_key_id,
        "Status": k.status,
        "CreateDate": k.create_date,
    }
    if secret:
        out["SecretAccessKey"] = k.secret_access_key
    return out


def policy(p: PolicyRecord, *, description: bool = False, tags: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "PolicyName": p.name,
        "PolicyId": p.policy_id,
        "Arn": p.arn,
        "Path": p.path,
        "DefaultVersionId": p.default_version_id,
        "AttachmentCount": p.attachment_count,
        "PermissionsBoundaryUsageCount": p.permissions_boundary_usage_count,
        "IsAttachable": p.is_attachable,
        "CreateDate": p.create_date,
        "UpdateDate": p.update_date,
    }
    if description and p.description is not None:
        out["Description"] = p.description
    if tags and p.tags:
        out["Tags"] = p.tags
    return out


def version(v: PolicyVersionRecord, *, document: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "VersionId": v.version_id,
        "IsDefaultVersion": v.is_default,
        "CreateDate": v.create_date,
    }
    if document:
        out["Document"] = encode_document(v.document)
    return out


def attached(a: AttachedPolicy) -> dict[str, Any]:
    return {"PolicyName": a.policy_name, "PolicyArn": a.policy_arn}


def oidc_url(url: str) -> str:
    """The ``Url`` IAM answers for a provider: host[:port]/path, without the scheme, as IAM answers
    it - except when the host has a port. IAM says a provider URL "should not contain a port number",
    so AWS never returns one; podid's own TLS issuers have one (the Kubernetes port), and
    ``127.0.0.1:8443/clusters/...`` without a scheme is not a URL to Go's net/url ("first path segment
    in URL cannot contain colon"), which is how the Terraform AWS provider (v5) compares the stored
    URL with the configured ``https://`` one: the comparison failed and every plan replaced the
    provider. Such URLs keep their ``https://``."""
    host = url.split("/", 1)[0]
    return f"https://{url}" if ":" in host else url


def oidc(p: OidcProviderRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Url": oidc_url(p.url),
        "ClientIDList": p.client_ids,
        "ThumbprintList": p.thumbprints,
        "CreateDate": p.create_date,
    }
    if p.tags:
        out["Tags"] = p.tags
    return out

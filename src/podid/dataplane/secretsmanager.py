"""Secrets Manager: secret ARNs (with AWS's random 6-character suffix) and secretsmanager:* keys."""

from __future__ import annotations

from podid.dataplane.kit import (
    AuthzItem,
    Context,
    DataplaneRequest,
    Lookup,
    PolicyParam,
    ServiceSpec,
    action_for,
    owner,
    request_tag_context,
    tag_context,
    tag_list,
)

IAM_PREFIX = "secretsmanager"

#: Operations whose IAM action is not ``secretsmanager:<Operation>`` (none today: the table exists
#: so the default rule stays explicit and checkable).
ACTIONS: dict[str, str] = {}

#: Operations on no particular secret.
GLOBAL_OPS = frozenset({"ListSecrets", "GetRandomPassword", "BatchGetSecretValue"})

#: Placeholder suffix for a secret that does not exist yet (CreateSecret): matches ``name-??????``
#: and ``name-*`` patterns the way the real, not yet known, suffix would.
NEW_SUFFIX = "??????"


def secret_arn(region: str, account: str, name: str, suffix: str = NEW_SUFFIX) -> str:
    """``arn:aws:secretsmanager:R:A:secret:NAME-AbCdEf``"""
    return f"arn:aws:secretsmanager:{region}:{account}:secret:{name}-{suffix}"


def _resolve(req: DataplaneRequest, lookup: Lookup, secret_id: str) -> str:
    if secret_id.startswith("arn:"):
        return lookup.secret_arn(req.region, secret_id) or secret_id
    return lookup.secret_arn(req.region, secret_id) or \
        f"arn:aws:secretsmanager:{req.region}:{req.account}:secret:{secret_id}"


def _secret_item(req: DataplaneRequest, lookup: Lookup, action: str, secret_id: str,
                 extra: Context | None = None) -> AuthzItem:
    arn = _resolve(req, lookup, secret_id)
    ctx: Context = {"secretsmanager:SecretId": secret_id}
    tags = lookup.secret_tags(req.region, secret_id)
    tag_context(ctx, tags)
    tag_context(ctx, tags, "secretsmanager:ResourceTag/")
    ctx.update(extra or {})
    policy = owner(req.account, lambda: lookup.secret_policy(req.region, secret_id))
    return AuthzItem(action, arn, ctx, policy, message_resource=secret_id)


def items(req: DataplaneRequest, lookup: Lookup) -> list[AuthzItem]:
    """Authorization items for one Secrets Manager call."""
    op, p = req.operation, req.params
    action = action_for(IAM_PREFIX, op, ACTIONS)
    if op == "BatchGetSecretValue":
        out = [AuthzItem(action, "*", {})]
        for sid in p.get("SecretIdList") or []:
            out.append(_secret_item(req, lookup, "secretsmanager:GetSecretValue", str(sid)))
        return out
    if op in GLOBAL_OPS:
        return [AuthzItem(action, "*", {})]
    extra: Context = {}
    if p.get("KmsKeyId"):
        extra["secretsmanager:KmsKeyArn"] = str(p["KmsKeyId"])
    if p.get("Description") is not None:
        extra["secretsmanager:Description"] = str(p["Description"])
    if p.get("VersionStage"):
        extra["secretsmanager:VersionStage"] = str(p["VersionStage"])
    if p.get("VersionId"):
        extra["secretsmanager:VersionId"] = str(p["VersionId"])
    if p.get("RotationLambdaARN"):
        extra["secretsmanager:RotationLambdaARN"] = str(p["RotationLambdaARN"])
    if "BlockPublicPolicy" in p:
        extra["secretsmanager:BlockPublicPolicy"] = "true" if p["BlockPublicPolicy"] else "false"
    if "ForceOverwriteReplicaSecret" in p:
        extra["secretsmanager:ForceOverwriteReplicaSecret"] = "true" if p["ForceOverwriteReplicaSecret"] \
            else "false"
    if op == "CreateSecret":
        name = str(p.get("Name", ""))
        ctx: Context = {"secretsmanager:Name": name, **extra}
        request_tag_context(ctx, tag_list(p.get("Tags")))
        return [AuthzItem(action, secret_arn(req.region, req.account, name), ctx,
                          owner(req.account), message_resource=name)]
    secret_id = str(p.get("SecretId", ""))
    if op == "TagResource":
        request_tag_context(extra, tag_list(p.get("Tags")))
    elif op == "UntagResource":
        extra["aws:TagKeys"] = [str(k) for k in p.get("TagKeys") or []]
    return [_secret_item(req, lookup, action, secret_id, extra)]


SPEC = ServiceSpec(
    scope="secretsmanager", botocore="secretsmanager", iam_prefix=IAM_PREFIX, moto="secretsmanager",
    items=items,
    access_denied=("AccessDeniedException", 400), actions=ACTIONS, policy_name="secret policy",
    policy_params={
        "PutResourcePolicy": PolicyParam(("ResourcePolicy",), "MalformedPolicyDocumentException"),
    },
)

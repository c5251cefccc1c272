"""KMS: key/alias ARNs (aliases resolve to their target key), encryption-context keys."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

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

IAM_PREFIX = "kms"

#: Operations whose IAM action is not ``kms:<Operation>``.
ACTIONS: dict[str, str] = {"ReEncrypt": "ReEncryptFrom"}

GLOBAL_OPS = frozenset({
    "CreateKey", "ListKeys", "ListAliases", "GenerateRandom", "ListRetirableGrants",
    "ConnectCustomKeyStore", "CreateCustomKeyStore", "DeleteCustomKeyStore", "DescribeCustomKeyStores",
    "DisconnectCustomKeyStore", "UpdateCustomKeyStore",
})

#: Request parameter -> condition key.
PARAM_KEYS: dict[str, str] = {
    "EncryptionAlgorithm": "kms:EncryptionAlgorithm",
    "SigningAlgorithm": "kms:SigningAlgorithm",
    "MessageType": "kms:MessageType",
    "MacAlgorithm": "kms:MacAlgorithm",
    "KeySpec": "kms:KeySpec",
    "KeyUsage": "kms:KeyUsage",
    "Origin": "kms:KeyOrigin",
    "DataKeyPairSpec": "kms:DataKeyPairSpec",
    "GranteePrincipal": "kms:GranteePrincipal",
    "RetiringPrincipal": "kms:RetiringPrincipal",
    "KeyAgreementAlgorithm": "kms:KeyAgreementAlgorithm",
}


def key_arn(region: str, account: str, key_id: str) -> str:
    """``arn:aws:kms:R:A:key/ID``"""
    return f"arn:aws:kms:{region}:{account}:key/{key_id}"


def alias_arn(region: str, account: str, alias: str) -> str:
    """``arn:aws:kms:R:A:alias/NAME`` (``alias`` with or without its ``alias/`` prefix)."""
    name = alias if alias.startswith("alias/") else f"alias/{alias}"
    return f"arn:aws:kms:{region}:{account}:{name}"


def _is_alias(ref: str) -> bool:
    return ref.startswith("alias/") or (ref.startswith("arn:") and ":alias/" in ref)


def _bool(v: Any) -> str:
    return "true" if v else "false"


def _base_context(req: DataplaneRequest) -> Context:
    p = req.params
    ctx: Context = {}
    if req.caller_account:
        ctx["kms:CallerAccount"] = req.caller_account
    for param, cond in PARAM_KEYS.items():
        if p.get(param) is not None:
            ctx[cond] = str(p[param])
    ec = p.get("EncryptionContext") or p.get("DestinationEncryptionContext")
    if isinstance(ec, Mapping):
        for k, v in ec.items():
            ctx[f"kms:EncryptionContext:{k}"] = str(v)
        ctx["kms:EncryptionContextKeys"] = [str(k) for k in ec]
    if "BypassPolicyLockoutSafetyCheck" in p:
        ctx["kms:BypassPolicyLockoutSafetyCheck"] = _bool(p["BypassPolicyLockoutSafetyCheck"])
    if "MultiRegion" in p:
        ctx["kms:MultiRegion"] = _bool(p["MultiRegion"])
    if p.get("Operations"):
        ctx["kms:GrantOperations"] = [str(o) for o in p["Operations"]]
    constraints = p.get("Constraints")
    if isinstance(constraints, Mapping):
        for field, cond in (("EncryptionContextEquals", "kms:GrantConstraintType"),
                            ("EncryptionContextSubset", "kms:GrantConstraintType")):
            if constraints.get(field):
                ctx[cond] = field
    return ctx


def _blob(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):
        try:
            return base64.b64decode(value)
        except ValueError:
            return value.encode()
    return b""


def _key_item(req: DataplaneRequest, lookup: Lookup, action: str, ref: str | None, ctx: Context,
              blob: Any = None) -> AuthzItem:
    key_id = None
    if ref:
        key_id = lookup.kms_key_id(req.region, ref)
    elif blob is not None:
        key_id = lookup.kms_key_id_from_ciphertext(req.region, _blob(blob))
    ctx = dict(ctx)
    if ref and _is_alias(ref):
        ctx["kms:RequestAlias"] = ref.split(":", 5)[-1] if ref.startswith("arn:") else ref
    if key_id is None:
        if ref is None:
            resource = "*"
        elif ref.startswith("arn:"):
            resource = ref
        elif _is_alias(ref):
            resource = alias_arn(req.region, req.account, ref)
        else:
            resource = key_arn(req.region, req.account, ref)
    else:
        resource = key_arn(req.region, req.account, key_id)
        tag_context(ctx, lookup.kms_tags(req.region, key_id))
    kid = key_id
    return AuthzItem(action, resource, ctx,
                     owner(req.account, (lambda: lookup.kms_policy(req.region, kid)) if kid else None))


def items(req: DataplaneRequest, lookup: Lookup) -> list[AuthzItem]:
    """Authorization items for one KMS call."""
    op, p = req.operation, req.params
    action = action_for(IAM_PREFIX, op, ACTIONS)
    ctx = _base_context(req)
    if op in GLOBAL_OPS:
        if op == "CreateKey":
            request_tag_context(ctx, tag_list(p.get("Tags"), "TagKey", "TagValue"))
        return [AuthzItem(action, "*", ctx)]
    if op in ("CreateAlias", "DeleteAlias", "UpdateAlias"):
        alias = str(p.get("AliasName", ""))
        out = [AuthzItem(action, alias_arn(req.region, req.account, alias), ctx, owner(req.account))]
        if op in ("DeleteAlias", "UpdateAlias"):     # the key the alias points at now
            out.append(_key_item(req, lookup, action, alias, ctx))
        if p.get("TargetKeyId"):                     # the key it will point at
            out.append(_key_item(req, lookup, action, str(p["TargetKeyId"]), ctx))
        return out
    if op == "ReEncrypt":
        src = p.get("SourceKeyId")
        return [_key_item(req, lookup, "kms:ReEncryptFrom", src, ctx, p.get("CiphertextBlob")),
                _key_item(req, lookup, "kms:ReEncryptTo", str(p.get("DestinationKeyId", "")), ctx)]
    if op == "TagResource":
        request_tag_context(ctx, tag_list(p.get("Tags"), "TagKey", "TagValue"))
    elif op == "UntagResource":
        ctx["aws:TagKeys"] = [str(k) for k in p.get("TagKeys") or []]
    ref = p.get("KeyId")
    if op == "Decrypt" and not ref:
        return [_key_item(req, lookup, action, None, ctx, p.get("CiphertextBlob"))]
    return [_key_item(req, lookup, action, str(ref) if ref else None, ctx)]


SPEC = ServiceSpec(
    scope="kms", botocore="kms", iam_prefix=IAM_PREFIX, moto="kms", items=items,
    access_denied=("AccessDeniedException", 400), actions=ACTIONS, policy_name="key policy",
    policy_params={
        "PutKeyPolicy": PolicyParam(("Policy",), "MalformedPolicyDocumentException"),
        "CreateKey": PolicyParam(("Policy",), "MalformedPolicyDocumentException"),
    },
)

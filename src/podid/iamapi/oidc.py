"""OpenID Connect providers: Create/Get/List/Delete, client ids, thumbprints, tags."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from podid.errors import ServiceError
from podid.gateway.context import CallContext
from podid.iamapi import shapes
from podid.iamapi.common import account, iam_op, required, store, tag_context, tags_param, validation
from podid.oidc import is_loopback_host
from podid.store import OidcProviderRecord, errors
from podid.store.oidc import oidc_arn

MAX_CLIENT_IDS = 100
MAX_THUMBPRINTS = 5


def _thumbprints(params: dict[str, Any]) -> list[str]:
    prints = list(params.get("ThumbprintList") or [])
    if len(prints) > MAX_THUMBPRINTS:
        raise validation(
            "[...]", "thumbprintList", f"Member must have length less than or equal to {MAX_THUMBPRINTS}"
        )
    for t in prints:
        if len(t) != 40:
            raise validation(
                t, "thumbprintList.member", "Member must have length greater than or equal to 40"
            )
    return prints


def _client_id(value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 255:
        raise validation(value, "clientID", "Member must have length less than or equal to 255")
    return value


def _provider(ctx: CallContext, action: str, extra: dict[str, Any] | None = None) -> OidcProviderRecord:
    arn = required(ctx.params, "OpenIDConnectProviderArn")
    ctx.authorize(action, arn, context=extra or {})
    p = store(ctx).get_oidc_provider_by_arn(arn)
    if p is None or p.account_id != account(ctx):
        raise errors.no_oidc(arn)
    return p


def _valid_provider_url(url: object) -> bool:
    """IAM accepts only https:// URLs; podid also accepts http:// on a loopback host, which is how
    its own cluster issuers are served (AWS could not reach such a URL anyway)."""
    if not isinstance(url, str) or len(url) > 255:
        return False
    if url.startswith("https://"):
        return len(url) > len("https://")
    if url.startswith("http://"):
        return is_loopback_host(urlsplit(url).hostname)
    return False


@iam_op("CreateOpenIDConnectProvider")
def create_provider(ctx: CallContext) -> dict[str, Any]:
    p = ctx.params
    url = required(p, "Url")
    if not _valid_provider_url(url):
        raise ServiceError("InvalidInput", "Invalid Open ID Connect Provider URL", 400)
    client_ids = [_client_id(c) for c in (p.get("ClientIDList") or [])]
    if len(client_ids) > MAX_CLIENT_IDS:
        raise ServiceError(
            "LimitExceeded",
            f"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}",
            409,
        )
    thumbprints = _thumbprints(p)
    tags = tags_param(p)
    ctx.authorize("iam:CreateOpenIDConnectProvider", oidc_arn(account(ctx), url), context=tag_context(tags))
    rec = store(ctx).create_oidc_provider(
        account(ctx), url, client_ids=client_ids, thumbprints=thumbprints, tags=tags
    )
    out: dict[str, Any] = {"OpenIDConnectProviderArn": rec.arn}
    if rec.tags:
        out["Tags"] = rec.tags
    return out


@iam_op("GetOpenIDConnectProvider")
def get_provider(ctx: CallContext) -> dict[str, Any]:
    return shapes.oidc(_provider(ctx, "iam:GetOpenIDConnectProvider"))


@iam_op("ListOpenIDConnectProviders")
def list_providers(ctx: CallContext) -> dict[str, Any]:
    ctx.authorize("iam:ListOpenIDConnectProviders", "*")
    return {
        "OpenIDConnectProviderList": [{"Arn": p.arn} for p in store(ctx).list_oidc_providers(account(ctx))]
    }


@iam_op("DeleteOpenIDConnectProvider")
def delete_provider(ctx: CallContext) -> dict[str, Any]:
    arn = required(ctx.params, "OpenIDConnectProviderArn")
    ctx.authorize("iam:DeleteOpenIDConnectProvider", arn)
    p = store(ctx).get_oidc_provider_by_arn(arn)
    if p is None or p.account_id != account(ctx):
        raise errors.no_oidc(arn)
    store(ctx).delete_oidc_provider(arn)
    return {}


@iam_op("AddClientIDToOpenIDConnectProvider")
def add_client_id(ctx: CallContext) -> dict[str, Any]:
    client_id = _client_id(required(ctx.params, "ClientID"))
    p = _provider(ctx, "iam:AddClientIDToOpenIDConnectProvider")
    if client_id not in p.client_ids and len(p.client_ids) >= MAX_CLIENT_IDS:
        raise ServiceError(
            "LimitExceeded",
            f"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}",
            409,
        )
    store(ctx).add_oidc_client_id(p.arn, client_id)
    return {}


@iam_op("RemoveClientIDFromOpenIDConnectProvider")
def remove_client_id(ctx: CallContext) -> dict[str, Any]:
    client_id = _client_id(required(ctx.params, "ClientID"))
    p = _provider(ctx, "iam:RemoveClientIDFromOpenIDConnectProvider")
    store(ctx).remove_oidc_client_id(p.arn, client_id)
    return {}


@iam_op("UpdateOpenIDConnectProviderThumbprint")
def update_thumbprint(ctx: CallContext) -> dict[str, Any]:
    required(ctx.params, "ThumbprintList")
    prints = _thumbprints(ctx.params)
    p = _provider(ctx, "iam:UpdateOpenIDConnectProviderThumbprint")
    store(ctx).update_oidc_thumbprints(p.arn, prints)
    return {}


@iam_op("TagOpenIDConnectProvider")
def tag_provider(ctx: CallContext) -> dict[str, Any]:
    tags = tags_param(ctx.params)
    p = _provider(ctx, "iam:TagOpenIDConnectProvider", tag_context(tags))
    store(ctx).tag_oidc_provider(p.arn, tags)
    return {}


@iam_op("UntagOpenIDConnectProvider")
def untag_provider(ctx: CallContext) -> dict[str, Any]:
    keys = list(required(ctx.params, "TagKeys"))
    p = _provider(ctx, "iam:UntagOpenIDConnectProvider", {"aws:TagKeys": keys})
    store(ctx).untag_oidc_provider(p.arn, keys)
    return {}


@iam_op("ListOpenIDConnectProviderTags")
def list_provider_tags(ctx: CallContext) -> dict[str, Any]:
    p = _provider(ctx, "iam:ListOpenIDConnectProviderTags")
    return {"Tags": p.tags, "IsTruncated": False}

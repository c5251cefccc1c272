"""STS AssumeRoleWithWebIdentity (unsigned): an OIDC token of a registered provider buys a role session.

1. The token's ``iss`` (read before verification only to find the provider) must name an IAM OIDC
   provider of the role's account (``Store.get_oidc_provider``; IAM keeps the URL without scheme),
   else ``InvalidIdentityToken`` "No OpenIDConnect provider found in your account for <iss>".
2. The token is verified against the issuer's JWKS (discovered at ``<iss>/.well-known/openid-
   configuration``, fetched with :class:`podid.oidc.JWKSFetcher`, cached per issuer): RS/ES
   256/384/512, ``iss`` exact, ``aud`` one of the provider's client ids, ``exp``/``nbf``/``iat`` with
   5 minutes of skew. Plain ``http`` issuers are accepted only on loopback hosts (podid's own
   per-cluster issuers); anything else must be https.
3. The role's trust policy must allow ``sts:AssumeRoleWithWebIdentity`` for the ``Federated``
   provider ARN, with ``<provider url>:sub|aud|amr`` and ``aws:FederatedProvider`` as condition keys;
   session tags from the token's ``https://aws.amazon.com/tags`` claim also need ``sts:TagSession``.
"""

from __future__ import annotations

import base64
import binascii
import json
import ssl
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from podid.errors import ServiceError
from podid.gateway.authz import AuthzRecord
from podid.gateway.context import CallContext
from podid.gateway.registry import handler
from podid.oidc import (
    STS_ALGORITHMS,
    ExpiredTokenError,
    InvalidTokenError,
    JWKSFetcher,
    JWKSFetchError,
    is_loopback_host,
    verify_token,
)
from podid.sts.sessions import (
    RoleSession,
    SessionRequest,
    TrustDenied,
    check_trust,
    find_role,
    issue_session,
    parse_role_arn,
    prepare_session,
    validate_request,
)

ACTION = "sts:AssumeRoleWithWebIdentity"
LEEWAY_SECONDS = 300
TAGS_CLAIM = "https://aws.amazon.com/tags"
MAX_FETCHERS = 256
FETCH_TIMEOUT = 5.0
_EXTRAS_KEY = "podid.sts.jwks"
_lock = threading.Lock()

_NOT_JWT = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"
_NO_KEY = ("Couldn't retrieve verification key from your identity provider,  please reference "
           "AssumeRoleWithWebIdentity documentation for requirements")
_INVALID = ("The web identity token that was passed could not be validated by AWS. Get a new identity "
            "token from the identity provider and then retry the request.")


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidIdentityToken", message, 400)


def _denied() -> ServiceError:
    return ServiceError("AccessDenied", f"Not authorized to perform {ACTION}", 403)


def _unverified_claims(token: str) -> dict[str, Any]:
    """The payload of a compact JWS, not verified (used only to find the provider)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise _invalid(_NOT_JWT)
    try:
        raw = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise _invalid(_NOT_JWT) from exc
    if not isinstance(claims, dict):
        raise _invalid(_NOT_JWT)
    return claims


def issuer_fetch_url(iss: str) -> tuple[str, bool]:
    """(issuer URL to discover keys from, allow_http). http only for loopback hosts."""
    if "://" not in iss:
        return "https://" + iss.rstrip("/"), False
    parts = urlsplit(iss)
    if parts.scheme == "https":
        return iss.rstrip("/"), False
    if parts.scheme == "http" and is_loopback_host(parts.hostname):
        return iss.rstrip("/"), True
    raise _invalid(_NO_KEY)


#: AppState.extras key: the local CA file (PEM) that https issuers on loopback are verified against


def _fetcher(ctx: CallContext, iss: str) -> JWKSFetcher:
    """The cached key source of issuer ``iss`` (one per issuer URL, at most MAX_FETCHERS)."""
    url, allow_http = issuer_fetch_url(iss)
    with _lock:
        cache: dict[str, tuple[JWKSFetcher, httpx.Client]] = ctx.app.extras.setdefault(_EXTRAS_KEY, {})
        entry = cache.get(url)
        if entry is None:
            if len(cache) >= MAX_FETCHERS:
                cache.pop(next(iter(cache)))[1].close()
            client = _http_client(loopback=allow_http or is_loopback_host(urlsplit(url).hostname),
                                  ca=ctx.app.loopback_ca)
            entry = cache[url] = (JWKSFetcher(url, client=client, allow_http=allow_http, ttl=300.0,
                                              min_refresh_interval=5.0), client)
    return entry[0]


def _http_client(*, loopback: bool, ca: str | None = None) -> httpx.Client:
    """Loopback issuers ignore proxy settings (and, served by `podid up --issuer-tls`, are verified
    against podid's local CA, ``ca``); external ones honour proxies when they parse."""
    if loopback and ca:
        return httpx.Client(timeout=FETCH_TIMEOUT, follow_redirects=False, trust_env=False,
                            verify=ssl.create_default_context(cafile=ca))
    if not loopback:
        try:
            return httpx.Client(timeout=FETCH_TIMEOUT, follow_redirects=False, trust_env=True)
        except (httpx.InvalidURL, ValueError):
            pass
    return httpx.Client(timeout=FETCH_TIMEOUT, follow_redirects=False, trust_env=False)


def _token_tags(claims: dict[str, Any]) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """Session tags from the ``https://aws.amazon.com/tags`` claim: principal_tags + transitive keys."""
    block = claims.get(TAGS_CLAIM)
    if not isinstance(block, dict):
        return (), ()
    tags: list[tuple[str, str]] = []
    for key, value in (block.get("principal_tags") or {}).items():
        first = value[0] if isinstance(value, list) and value else value
        tags.append((str(key), str(first)))
    transitive = tuple(str(k) for k in block.get("transitive_tag_keys") or ())
    return tuple(tags), transitive


@handler("sts", "AssumeRoleWithWebIdentity")
def assume_role_with_web_identity(ctx: CallContext) -> dict[str, Any]:
    params = ctx.params
    token = params.get("WebIdentityToken")
    base = SessionRequest.from_params(params)
    if token is None:
        raise ServiceError("ValidationError", "1 validation error detected: Value null at 'webIdentityToken' "
                           "failed to satisfy constraint: Member must not be null", 400)
    token = str(token)
    if not 4 <= len(token) <= 20000:
        which = "greater than or equal to 4" if len(token) < 4 else "less than or equal to 20000"
        raise ServiceError("ValidationError", "1 validation error detected: Value at 'webIdentityToken' "
                           f"failed to satisfy constraint: Member must have length {which}", 400)
    validate_request(base)
    parsed = parse_role_arn(base.role_arn)
    assert parsed is not None  # validate_request checked it
    account = parsed[1]

    unverified = _unverified_claims(token)
    iss = unverified.get("iss")
    if not isinstance(iss, str) or not iss:
        raise _invalid(_INVALID)
    store = ctx.app.store
    provider = store.get_oidc_provider(account, iss)
    if provider is None:
        raise _invalid(f"No OpenIDConnect provider found in your account for {iss}")
    if not provider.client_ids:
        raise _invalid("Incorrect token audience")
    fetcher = _fetcher(ctx, iss)
    try:
        claims = verify_token(token, fetcher, iss, list(provider.client_ids), leeway=LEEWAY_SECONDS,
                              algorithms=STS_ALGORITHMS, kubernetes=False)
    except ExpiredTokenError as exc:
        exp = unverified.get("exp")
        raise ServiceError("ExpiredTokenException", f"Token expired: current date/time {int(time.time())} "
                           f"must be before the expiration date/time {exp}", 400) from exc
    except InvalidTokenError as exc:
        reason = exc.reason
        if "audience" in reason:
            raise _invalid("Incorrect token audience") from exc
        if "no key of the issuer" in reason:
            if fetcher.fetch_count == 0:  # never reached the issuer (a retry inside the refresh backoff)
                raise ServiceError("IDPCommunicationError", _NO_KEY, 400) from exc
            raise _invalid(_NO_KEY) from exc
        if "compact JWS" in reason or "base64url" in reason or "JSON object" in reason:
            raise _invalid(_NOT_JWT) from exc
        raise _invalid(_INVALID) from exc
    except JWKSFetchError as exc:
        raise ServiceError("IDPCommunicationError", _NO_KEY, 400) from exc

    audience = next(a for a in claims.audiences if a in provider.client_ids)
    tags, transitive = _token_tags(dict(claims.raw))
    req = SessionRequest(role_arn=base.role_arn, session_name=base.session_name,
                         duration_seconds=base.duration_seconds, tags=tags, transitive_tag_keys=transitive,
                         policy=base.policy, policy_arns=base.policy_arns)
    if tags:
        validate_request(req)
    role = find_role(store, req.role_arn)
    if role is None:
        ctx.decisions.append(AuthzRecord(ACTION, req.role_arn, "implicit_deny", None))
        raise _denied()
    session = prepare_session(store, role, req)
    prefix = provider.url
    keys: dict[str, Any] = {
        f"{prefix}:sub": claims.subject,
        f"{prefix}:aud": audience,
        "aws:FederatedProvider": provider.arn,
    }
    amr = claims.raw.get("amr")
    if isinstance(amr, list) and all(isinstance(a, str) for a in amr):
        keys[f"{prefix}:amr"] = list(amr)
    elif isinstance(amr, str):
        keys[f"{prefix}:amr"] = amr
    _judge(ctx, session, provider.arn, ACTION, keys)
    if session.tagging:
        _judge(ctx, session, provider.arn, "sts:TagSession", keys)
    out = issue_session(ctx.app.tokens, session).sts_output()
    out.update({"SubjectFromWebIdentityToken": claims.subject, "Audience": audience, "Provider": iss})
    return out


def _judge(ctx: CallContext, session: RoleSession, provider_arn: str, action: str,
           keys: dict[str, Any]) -> None:
    try:
        decision = check_trust(session, principal=provider_arn, principal_type="Federated", action=action,
                               context=keys)
    except TrustDenied as exc:
        outcome = exc.decision.outcome if exc.decision is not None else "implicit_deny"
        ctx.decisions.append(AuthzRecord(action, session.role_arn, outcome, None))
        raise _denied() from exc
    ref = decision.deciding[0] if decision.deciding else None
    ctx.decisions.append(AuthzRecord(action, session.role_arn, decision.outcome,
                                     f"{ref.kind}:{ref.policy}:Statement[{ref.index}]" if ref else None))

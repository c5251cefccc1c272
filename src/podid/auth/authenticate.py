"""Authenticate a request: SigV4 parameters -> credentials (long-term or temporary) -> `Caller`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Literal

from podid.auth import sigv4
from podid.auth.errors import AuthError
from podid.auth.ids import is_long_term, is_temporary
from podid.auth.keys import AccessKeyLookup, lookup
from podid.auth.tokens import TokenCodec
from podid.gateway.context import Caller
from podid.protocol.wire import WireRequest

#: Services whose scope region is pinned (AWS: IAM must be signed for us-east-1). Empty on purpose:
#: SDKs given a custom endpoint URL sign IAM with the client's region, so podid cannot insist on it.
GLOBAL_SERVICES: dict[str, str] = {}

_INVALID = "The security token included in the request is invalid."


class Authenticator:
    """Turns a signed request into a :class:`Caller`, or raises :class:`AuthError`."""

    def __init__(self, keys: AccessKeyLookup, tokens: TokenCodec,
                 now: Callable[[], dt.datetime] | None = None) -> None:
        self.keys = keys
        self.tokens = tokens
        self._now = now

    def authenticate(self, request: WireRequest, parts: sigv4.SigV4Parts, *, s3: bool = False) -> Caller:
        """Verify ``request`` signed as ``parts``; returns the caller."""
        akid = parts.access_key_id
        if is_temporary(akid):
            if not parts.security_token:
                raise AuthError("invalid_token", _INVALID)
            ctx = self.tokens.decode(parts.security_token, akid)
            secret = self.tokens.secret_for(akid, ctx.key_id)
            kind: Literal["user", "assumed-role", "root"] = "assumed-role" if ctx.kind == "assumed-role" \
                else "user"
            caller = Caller(arn=ctx.principal_arn, account=ctx.account, user_id=ctx.user_id, kind=kind,
                            access_key_id=akid, session=ctx)
        elif is_long_term(akid):
            record = lookup(self.keys, akid)
            if record is None or not record.active:
                raise AuthError("unknown_key", _INVALID)
            if parts.security_token:
                raise AuthError("invalid_token", _INVALID)
            secret = record.secret_access_key
            kind = "root" if record.user_arn.endswith(":root") else "user"
            caller = Caller(arn=record.user_arn, account=record.account, user_id=record.user_id,
                            kind=kind, access_key_id=akid, user_name=record.user_name)
        else:
            raise AuthError("unknown_key", _INVALID)
        sigv4.verify(request, parts, secret, s3=s3, global_region=GLOBAL_SERVICES.get(parts.service),
                     now=self._now)
        return caller

"""Authenticate a request: signature parameters (SigV4, or SigV2 for S3) -> credentials (long-term
or temporary) -> `Caller`."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Literal

from podid.auth import signature
from podid.auth.caller import Caller
from podid.auth.errors import AuthError
from podid.auth.ids import is_long_term, is_temporary
from podid.auth.keys import AccessKeyLookup, AccessKeyRecord, lookup
from podid.auth.tokens import TokenCodec
from podid.protocol.wire import WireRequest

#: Services whose scope region is pinned (AWS: IAM must be signed for us-east-1). Empty on purpose:
#: SDKs given a custom endpoint URL sign IAM with the client's region, so podid cannot insist on it.
GLOBAL_SERVICES: dict[str, str] = {}

_INVALID = "The security token included in the request is invalid."
_RECORD_CACHE = 1024


def _generation(store: Any) -> int | None:
    return int(store.generation())


class Authenticator:
    """Turns a signed request into a :class:`Caller`, or raises :class:`AuthError`."""

    def __init__(self, keys: AccessKeyLookup, tokens: TokenCodec,
                 now: Callable[[], dt.datetime] | None = None) -> None:
        self.keys = keys
        self.tokens = tokens
        self._now = now
        self._records: OrderedDict[tuple[str, int], AccessKeyRecord | None] = OrderedDict()
        self._records_lock = threading.Lock()

    def _long_term(self, akid: str) -> AccessKeyRecord | None:
        """The key's record, cached per store generation (every IAM write, access keys included,
        bumps it), so a deleted or deactivated key stops working with the very next request."""
        generation = _generation(self.keys)
        if generation is None:
            return lookup(self.keys, akid)
        cache_key = (akid, generation)
        with self._records_lock:
            if cache_key in self._records:
                self._records.move_to_end(cache_key)
                return self._records[cache_key]
        record = lookup(self.keys, akid)
        with self._records_lock:
            self._records[cache_key] = record
            while len(self._records) > _RECORD_CACHE:
                self._records.popitem(last=False)
        return record

    def authenticate(self, request: WireRequest, parts: signature.Signed, *, s3: bool = False) -> Caller:
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
            record = self._long_term(akid)
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
        signature.verify(request, parts, secret, s3=s3, global_region=GLOBAL_SERVICES.get(parts.service),
                         now=self._now)
        return caller

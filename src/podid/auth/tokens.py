"""Stateless, verifiable temporary credentials: ``ASIA...`` key, derived secret, sealed session token.

* The **master keys** live in ``STATE/master-keys.json`` (mode 0600). Each has an id; the newest is
  active. :meth:`TokenCodec.rotate` adds a new active key and keeps the old ones until every token
  they sealed has expired (``MAX_SESSION_SECONDS`` after their retirement), then prunes them.
* The **secret access key** of a temporary credential is never stored: it is
  ``base64(HMAC-SHA256(master[kid], "secret:" + access_key_id))[:40]``.
* The **session token** is ``base64(version | kid | nonce | AES-256-GCM(SessionContext JSON))``
  with the version and key id as associated data. Any flipped byte, an unknown or pruned key id, a
  token presented with another access key id, or a token past its expiry is rejected.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from podid.auth.errors import AuthError
from podid.auth.ids import access_key_id as new_access_key_id

VERSION = 1
#: Longest lifetime of any temporary credential podid issues (GetSessionToken/federation: 36 h).
MAX_SESSION_SECONDS = 36 * 3600
KEY_FILE = "master-keys.json"


@dataclass(frozen=True)
class SessionContext:
    """Everything a temporary credential stands for, sealed inside its session token."""

    principal_arn: str                  # arn:aws:sts::ACCT:assumed-role/ROLE/SESSION
    account: str
    role_arn: str | None = None         # arn:aws:iam::ACCT:role/PATH/ROLE
    role_id: str | None = None          # AROA...
    session_name: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    transitive_tag_keys: Sequence[str] = ()
    session_policy: str | None = None   # JSON policy document passed at assume time
    source_identity: str | None = None
    kind: str = "assumed-role"          # assumed-role | federated-user | session (GetSessionToken)
    issued: int = 0                     # epoch seconds
    expires: int = 0
    key_id: str = ""
    access_key_id: str = ""

    def to_json(self) -> bytes:
        raw = dataclasses.asdict(self)
        raw["tags"] = dict(self.tags)
        raw["transitive_tag_keys"] = list(self.transitive_tag_keys)
        short = {_SHORT[k]: v for k, v in raw.items() if v not in (None, "", [], {}) or k == "expires"}
        return json.dumps(short, separators=(",", ":"), sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> SessionContext:
        raw = json.loads(data)
        kwargs = {_LONG[k]: v for k, v in raw.items() if k in _LONG}
        kwargs["transitive_tag_keys"] = tuple(kwargs.get("transitive_tag_keys", ()))
        return cls(**kwargs)

    @property
    def user_id(self) -> str:
        """``AROA...:session`` as GetCallerIdentity reports it."""
        return f"{self.role_id}:{self.session_name}" if self.role_id else self.principal_arn


_SHORT = {"principal_arn": "p", "account": "a", "role_arn": "r", "role_id": "ri", "session_name": "s",
          "tags": "t", "transitive_tag_keys": "tt", "session_policy": "sp", "source_identity": "si",
          "kind": "k", "issued": "i", "expires": "e", "key_id": "kid", "access_key_id": "ak"}
_LONG = {v: k for k, v in _SHORT.items()}


@dataclass(frozen=True)
class TemporaryCredentials:
    """What STS returns: the key pair, the token and when it expires."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: int
    context: SessionContext


@dataclass
class _MasterKey:
    key_id: str
    secret: bytes
    created: int
    retired: int | None = None


class TokenCodec:
    """Issue and verify temporary credentials with master keys kept in the state directory."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self._path = path
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, _MasterKey] = {}
        self._active = ""
        self._load_or_create()

    @classmethod
    def open(cls, state_dir: Path, clock: Callable[[], float] = time.time) -> TokenCodec:
        """The codec of a state directory (creates its first master key on first use)."""
        return cls(Path(state_dir) / KEY_FILE, clock)

    # -- key management -----------------------------------------------------------------
    def _load_or_create(self) -> None:
        if self._path.exists():
            raw = json.loads(self._path.read_text())
            for item in raw["keys"]:
                key = _MasterKey(item["id"], base64.b64decode(item["secret"]), item["created"],
                                 item.get("retired"))
                self._keys[key.key_id] = key
            self._active = raw["active"]
            return
        self._add_key()
        self._save()

    def _add_key(self) -> str:
        now = int(self._clock())
        key_id = f"k{now:x}{secrets.token_hex(2)}"
        if self._active:
            self._keys[self._active].retired = now
        self._keys[key_id] = _MasterKey(key_id, secrets.token_bytes(32), now)
        self._active = key_id
        return key_id

    def _save(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        doc = {"active": self._active, "keys": [
            {"id": k.key_id, "secret": base64.b64encode(k.secret).decode(), "created": k.created,
             "retired": k.retired} for k in self._keys.values()]}
        tmp = self._path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(doc, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, self._path)

    def rotate(self) -> str:
        """Make a new master key active; prune retired keys whose tokens have all expired."""
        with self._lock:
            key_id = self._add_key()
            self.prune(save=False)
            self._save()
            return key_id

    def prune(self, *, save: bool = True) -> list[str]:
        """Drop retired keys older than the longest token lifetime; returns the dropped ids."""
        now = int(self._clock())
        gone = [k.key_id for k in self._keys.values()
                if k.retired is not None and k.retired + MAX_SESSION_SECONDS < now]
        for key_id in gone:
            del self._keys[key_id]
        if gone and save:
            self._save()
        return gone

    def remove_key(self, key_id: str) -> None:
        """Forget a master key now (its tokens stop verifying). The active key cannot be removed."""
        with self._lock:
            if key_id == self._active:
                raise ValueError("cannot remove the active master key")
            self._keys.pop(key_id, None)
            self._save()

    @property
    def active_key_id(self) -> str:
        return self._active

    @property
    def key_ids(self) -> list[str]:
        return list(self._keys)

    # -- derivations --------------------------------------------------------------------
    def _derive(self, key_id: str, label: bytes) -> bytes:
        return hmac.new(self._keys[key_id].secret, label, hashlib.sha256).digest()

    def secret_for(self, access_key_id: str, key_id: str) -> str:
        """The secret access key of a temporary access key id sealed under ``key_id``."""
        mac = self._derive(key_id, b"secret:" + access_key_id.encode())
        return base64.b64encode(mac).decode()[:40]

    # -- issue / decode -----------------------------------------------------------------
    def issue(self, template: SessionContext, duration_seconds: int) -> TemporaryCredentials:
        """Seal ``template`` (binding fields filled in here) into new temporary credentials."""
        now = int(self._clock())
        akid = new_access_key_id(temporary=True)
        key_id = self._active
        ctx = dataclasses.replace(template, issued=now, expires=now + int(duration_seconds),
                                  key_id=key_id, access_key_id=akid)
        header = bytes([VERSION, len(key_id)]) + key_id.encode()
        nonce = secrets.token_bytes(12)
        sealed = AESGCM(self._derive(key_id, b"token-encryption")).encrypt(nonce, ctx.to_json(), header)
        token = base64.b64encode(header + nonce + sealed).decode()
        return TemporaryCredentials(akid, self.secret_for(akid, key_id), token, ctx.expires, ctx)

    def decode(self, token: str, access_key_id: str, *, check_expiry: bool = True) -> SessionContext:
        """Open and check a session token presented with ``access_key_id``; raises AuthError."""
        invalid = AuthError("invalid_token", "The security token included in the request is invalid.")
        try:
            raw = base64.b64decode(token.encode("ascii"), validate=True)
        except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
            raise invalid from exc
        if base64.b64encode(raw).decode("ascii") != token:   # one spelling per token: no spare bits
            raise invalid
        if len(raw) < 2 or raw[0] != VERSION:
            raise invalid
        kid_len = raw[1]
        header = raw[:2 + kid_len]
        key_id = header[2:].decode("ascii", "replace")
        if key_id not in self._keys:
            raise invalid
        nonce, sealed = raw[2 + kid_len:14 + kid_len], raw[14 + kid_len:]
        try:
            plain = AESGCM(self._derive(key_id, b"token-encryption")).decrypt(nonce, sealed, header)
            ctx = SessionContext.from_json(plain)
        except (InvalidTag, ValueError, TypeError, KeyError) as exc:
            raise invalid from exc
        if not hmac.compare_digest(ctx.access_key_id, access_key_id) or ctx.key_id != key_id:
            raise invalid
        if check_expiry and self._clock() >= ctx.expires:
            raise AuthError("expired_token", "The security token included in the request is expired")
        return ctx

    def describe(self) -> dict[str, Any]:
        """Key ids and dates (never the key material), for diagnostics."""
        return {"active": self._active, "keys": [
            {"id": k.key_id, "created": k.created, "retired": k.retired} for k in self._keys.values()]}

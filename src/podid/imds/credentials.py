"""The node role's credentials as EC2 hands them to an instance: sessions of the role named by the
instance id, minted through podid.sts (trust policy judged for ``ec2.amazonaws.com``), cached and
renewed when fewer than :data:`RENEW_BEFORE_SECONDS` remain."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SESSION_SECONDS = 6 * 3600
RENEW_BEFORE_SECONDS = 15 * 60
EC2_SERVICE = "ec2.amazonaws.com"


@dataclass(frozen=True)
class InstanceCredentials:
    access_key_id: str
    secret_access_key: str
    token: str
    expiration: float
    last_updated: float

    def to_json(self) -> dict[str, str]:
        """The document at ``/latest/meta-data/iam/security-credentials/<role>``."""
        return {"Code": "Success", "LastUpdated": _iso(self.last_updated), "Type": "AWS-HMAC",
                "AccessKeyId": self.access_key_id, "SecretAccessKey": self.secret_access_key,
                "Token": self.token, "Expiration": _iso(self.expiration)}


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class NodeRoleCredentials:
    """``current()`` returns valid credentials of ``role`` (a role name in ``account_id`` or an ARN,
    resolved at each renewal: the role may be created after `podid up` starts) for ``instance_id``."""

    def __init__(self, store: Any, tokens: Any, role: str, account_id: str, instance_id: str,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.tokens = tokens
        self.role = role
        self.account_id = account_id
        self.instance_id = instance_id
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: InstanceCredentials | None = None

    @property
    def role_name(self) -> str:
        return self.role.rsplit("/", 1)[-1]

    def role_arn(self) -> str:
        """The role's ARN; LookupError when a role given by name does not exist (yet)."""
        if self.role.startswith("arn:"):
            return self.role
        found = self.store.get_role(self.account_id, self.role)
        if found is None:
            raise LookupError(f"no IAM role named {self.role}")
        return str(found.arn)

    def current(self) -> InstanceCredentials:
        """Cached credentials, renewed when close to expiry. Raises podid.sts's TrustDenied or
        ServiceError when the role no longer exists or no longer trusts EC2."""
        with self._lock:
            now = self._clock()
            if self._cached is None or self._cached.expiration - now < RENEW_BEFORE_SECONDS:
                self._cached = self._mint(now)
            return self._cached

    def _mint(self, now: float) -> InstanceCredentials:
        from podid.sts.sessions import SessionRequest, assume_role_as

        issued = assume_role_as(self.store, self.tokens,
                                SessionRequest(role_arn=self.role_arn(), session_name=self.instance_id),
                                principal=EC2_SERVICE, duration=SESSION_SECONDS)
        c = issued.credentials
        return InstanceCredentials(c.access_key_id, c.secret_access_key, c.session_token,
                                   float(c.expiration), now)

"""Credentials model: what EKS Auth gives the agent and what the agent gives the SDKs.

Mirrors `pkg/credentials/model.go`: the container-credentials JSON document
`{"AccessKeyId","SecretAccessKey","Token","AccountId","Expiration"}` with Expiration in RFC 3339
UTC (`Z`), which both botocore and the JS SDK parse.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class PodCredentials:
    """Temporary credentials for one pod; `expiration` is seconds since the epoch (UTC)."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: float
    account_id: str = ""
    association_id: str = ""
    role_arn: str = ""

    def remaining(self, now: float) -> float:
        """Seconds of validity left at `now`."""
        return self.expiration - now

    def to_document(self) -> dict[str, str]:
        """The container-credentials JSON object (AccountId omitted when unknown, like Go's omitempty)."""
        doc = {
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key,
            "Token": self.session_token,
        }
        if self.account_id:
            doc["AccountId"] = self.account_id
        doc["Expiration"] = format_expiration(self.expiration)
        return doc

    def to_json_bytes(self) -> bytes:
        """The HTTP 200 body."""
        return json.dumps(self.to_document(), separators=(",", ":")).encode()

    def __repr__(self) -> str:  # never print secrets
        return (
            f"PodCredentials(access_key_id={self.access_key_id!r}, account_id={self.account_id!r}, "
            f"expiration={format_expiration(self.expiration)!r}, role_arn={self.role_arn!r})"
        )


def format_expiration(epoch: float) -> str:
    """RFC 3339 UTC with `Z`; sub-second digits only when present (Go's RFC3339Nano)."""
    dt = datetime.fromtimestamp(epoch, UTC)
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if dt.microsecond:
        base += "." + f"{dt.microsecond:06d}".rstrip("0")
    return base + "Z"


def account_from_arn(arn: str) -> str:
    """The account field of an ARN (`arn:aws:sts::123456789012:assumed-role/R/S` -> `123456789012`)."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        raise ValueError("arn: invalid prefix")
    return parts[4]

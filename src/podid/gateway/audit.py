"""CloudTrail-shaped audit log: one JSON line per request in ``STATE/audit.jsonl``.

Every request is recorded, allowed or denied, including authentication failures. Request
parameters are copied with secrets redacted (passwords, secret values, tokens, key material,
payload bytes); policy documents are kept since they are what an operator audits. podid's own
fields live under ``"podid"``: ``decision`` (allowed / implicit_deny / explicit_deny /
authentication_failed / error / unauthenticated) and ``deciding`` (the deciding statement).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from podid.auth.caller import Caller

AUDIT_FILE = "audit.jsonl"
EVENT_VERSION = "1.08"
REDACTED = "HIDDEN_DUE_TO_SECURITY_REASONS"

_SECRET_KEYS = {"secretstring", "secretbinary", "password", "newpassword", "oldpassword", "webidentitytoken",
                "samlassertion", "tokencode", "sessiontoken", "plaintext", "privatekey", "secretaccesskey",
                "clientsecret", "token", "body", "ciphertextblob", "securitytoken", "authorization"}
_NOT_SECRET = {"nexttoken", "continuationtoken", "clienttoken", "idempotencytoken", "marker", "policy",
               "policydocument", "assumerolepolicydocument", "secretid", "secretarn"}


def redact(value: Any, key: str = "") -> Any:
    """A JSON-safe copy of ``value`` with secret-looking fields replaced."""
    low = key.lower()
    if low and low not in _NOT_SECRET and (
            low in _SECRET_KEYS or low.endswith(("password", "token", "secret", "secretkey"))):
        return REDACTED
    if isinstance(value, Mapping):
        return {str(k): redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [redact(v) for v in value]
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "read"):
        return "<stream>"
    return str(value)


def user_identity(caller: Caller | None, access_key_id: str | None = None) -> dict[str, Any]:
    """CloudTrail ``userIdentity`` for ``caller`` (None: authentication failed)."""
    if caller is None:
        ident: dict[str, Any] = {"type": "Unknown"}
        if access_key_id:
            ident["accessKeyId"] = access_key_id
        return ident
    if caller.kind == "anonymous":
        return {"type": "AWSAccount", "principalId": "", "accountId": "ANONYMOUS_PRINCIPAL"}
    kind = {"user": "IAMUser", "assumed-role": "AssumedRole", "root": "Root"}.get(caller.kind, "Unknown")
    ident = {"type": kind,
             "principalId": caller.user_id, "arn": caller.arn, "accountId": caller.account,
             "accessKeyId": caller.access_key_id}
    if caller.user_name:
        ident["userName"] = caller.user_name
    s = caller.session
    if s is not None and s.role_arn:
        ident["sessionContext"] = {
            "sessionIssuer": {"type": "Role", "principalId": s.role_id, "arn": s.role_arn,
                              "accountId": s.account, "userName": s.role_arn.rsplit("/", 1)[-1]},
            "attributes": {"creationDate": dt.datetime.fromtimestamp(s.issued, dt.UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ"), "mfaAuthenticated": "false"},
        }
        if s.source_identity:
            ident["sessionContext"]["sourceIdentity"] = s.source_identity
    return ident


def make_event(
    *,
    service: str,
    operation: str | None,
    region: str,
    caller: Caller | None,
    access_key_id: str | None,
    source_ip: str,
    user_agent: str,
    params: Mapping[str, Any] | None,
    request_id: str,
    account: str,
    error_code: str | None = None,
    error_message: str | None = None,
    decision: str,
    deciding: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One CloudTrail-shaped event."""
    now = dt.datetime.now(dt.UTC)
    event: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "eventTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": f"{service}.amazonaws.com",
        "eventName": operation or "Unknown",
        "awsRegion": region,
        "userIdentity": user_identity(caller, access_key_id),
        "sourceIPAddress": source_ip,
        "userAgent": user_agent,
        "requestParameters": redact(dict(params)) if params else None,
        "responseElements": None,
        "requestID": request_id,
        "eventID": str(uuid.uuid4()),
        "eventType": "AwsApiCall",
        "recipientAccountId": caller.account if caller and caller.kind != "anonymous" else account,
        "podid": {"decision": decision, "deciding": deciding, **(extra or {})},
    }
    if error_code:
        event["errorCode"] = error_code
        event["errorMessage"] = error_message
    return event


class AuditWriter:
    """Appends events to ``audit.jsonl`` (mode 0600); each event is one ``write`` of one line."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._lock = threading.Lock()

    @classmethod
    def open(cls, state_dir: Path) -> AuditWriter:
        return cls(Path(state_dir) / AUDIT_FILE)

    def write(self, event: Mapping[str, Any]) -> None:
        line = (json.dumps(event, separators=(",", ":"), default=str) + "\n").encode()
        with self._lock:
            os.write(self._fd, line)

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1

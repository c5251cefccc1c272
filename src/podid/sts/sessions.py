"""Validate and issue IAM role sessions: shared by STS AssumeRole, AssumeRoleWithWebIdentity and
EKS Auth AssumeRoleForPodIdentity.

The steps, in the order an operation calls them::

    req = SessionRequest(role_arn=..., session_name=..., tags=..., policy=...)
    validate_request(req)                       # STS's shape constraints -> ValidationError
    role = find_role(store, req.role_arn)       # None: the caller answers with its own AccessDenied
    session = prepare_session(store, role, req, caller_session=..., chained=...)
                                                # tags, transitive tags, session policies, packed size
    ... authorize with session.trust and session.context() (operation specific) ...
    issued = issue_session(tokens, session)     # duration vs the role's MaxSessionDuration, then seal
    return issued.sts_output()

:func:`assume_role_as` runs all of it for a principal that is judged by the trust policy alone
(a ``Service`` such as ``pods.eks.amazonaws.com`` or a ``Federated`` provider) and raises
:class:`TrustDenied` instead of an operation-specific AccessDenied.

Errors are :class:`podid.errors.ServiceError` with STS's codes (``ValidationError``,
``MalformedPolicyDocument``, ``PackedPolicyTooLarge``); callers of other services re-map them.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
import unicodedata
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from podid.auth.tokens import SessionContext, TemporaryCredentials, TokenCodec
from podid.errors import ServiceError
from podid.iam import Decision, Policy, PolicyError, PolicySet, Request, evaluate, parse_policy
from podid.iam.tagkeys import request_tag_keys

MIN_DURATION = 900
MAX_DURATION = 43200
DEFAULT_DURATION = 3600
CHAINED_MAX_DURATION = 3600
MAX_TAGS = 50
MAX_POLICY_ARNS = 10
MAX_POLICY_CHARS = 2048
#: Packed (compressed) bytes of session policies + tags that make 100 % (podid's model, see
#: docs/decisions.md: AWS does not publish its packing format).
PACKED_LIMIT_BYTES = 2048

_SESSION_NAME = re.compile(r"[\w+=,.@-]*", re.ASCII)
_EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]*", re.ASCII)
_ROLE_ARN = re.compile(
    r"^arn:(aws[a-z-]*):iam::(\d{12}):role/(?:[\x21-\x7e]*/)?([\w+=,.@-]{1,64})$", re.ASCII
)
_TAG_EXTRA = set("_.:/=+-@")
_TAG_PATTERN = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]"
_SID_CHARS = re.compile(r"[^A-Za-z0-9]")


# -- requests and validation -----------------------------------------------------------------------
@dataclass(frozen=True)
class SessionRequest:
    """What the caller asks for (STS's AssumeRole parameters, already unmarshalled)."""

    role_arn: str
    session_name: str
    duration_seconds: int | None = None
    tags: Sequence[tuple[str, str]] = ()         # (key, value) in request order
    transitive_tag_keys: Sequence[str] = ()
    policy: str | None = None                    # inline session policy (JSON text)
    policy_arns: Sequence[str] = ()              # managed session policies
    source_identity: str | None = None
    external_id: str | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> SessionRequest:
        """From STS wire parameters (``RoleArn``, ``RoleSessionName``, ``Tags``...); missing
        required members raise STS's ``Member must not be null`` ValidationError."""
        missing = [m for m, k in (("roleArn", "RoleArn"), ("roleSessionName", "RoleSessionName"))
                   if params.get(k) is None]
        if missing:
            raise _validation([f"Value null at '{m}' failed to satisfy constraint: Member must not be null"
                               for m in missing])
        duration = params.get("DurationSeconds")
        return cls(
            role_arn=str(params["RoleArn"]),
            session_name=str(params["RoleSessionName"]),
            duration_seconds=int(duration) if duration is not None else None,
            tags=tuple((str(t.get("Key", "")), str(t.get("Value", ""))) for t in params.get("Tags") or ()),
            transitive_tag_keys=tuple(str(k) for k in params.get("TransitiveTagKeys") or ()),
            policy=params.get("Policy"),
            policy_arns=tuple(str(p.get("arn", "")) for p in params.get("PolicyArns") or ()),
            source_identity=params.get("SourceIdentity"),
            external_id=params.get("ExternalId"),
        )


def _validation(problems: Sequence[str]) -> ServiceError:
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    return ServiceError("ValidationError", f"{count} validation {noun} detected: " + "; ".join(problems), 400)


def _value(value: object, member: str, constraint: str) -> str:
    return f"Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"


def _length(value: str, member: str, low: int, high: int | None, out: list[str]) -> bool:
    if len(value) < low:
        out.append(_value(value, member, f"Member must have length greater than or equal to {low}"))
        return False
    if high is not None and len(value) > high:
        out.append(_value(value, member, f"Member must have length less than or equal to {high}"))
        return False
    return True


def _tag_chars_ok(text: str) -> bool:
    return all(c in _TAG_EXTRA or unicodedata.category(c)[0] in "LZN" for c in text)


def validate_request(req: SessionRequest) -> None:
    """STS's request constraints (botocore model + IAM/STS character limits); raises ValidationError
    listing every violation as AWS does (``N validation errors detected: ...; ...``)."""
    out: list[str] = []
    _length(req.role_arn, "roleArn", 20, 2048, out)
    if _length(req.session_name, "roleSessionName", 2, 64, out) and not _SESSION_NAME.fullmatch(
            req.session_name):
        out.append(_value(req.session_name, "roleSessionName",
                          r"Member must satisfy regular expression pattern: [\w+=,.@-]*"))
    if req.policy is not None:
        _length(req.policy, "policy", 1, MAX_POLICY_CHARS, out)
    if len(req.policy_arns) > MAX_POLICY_ARNS:
        out.append(_value(list(req.policy_arns), "policyArns",
                          f"Member must have length less than or equal to {MAX_POLICY_ARNS}"))
    if req.duration_seconds is not None:
        if req.duration_seconds < MIN_DURATION:
            out.append(_value(req.duration_seconds, "durationSeconds",
                              f"Member must have value greater than or equal to {MIN_DURATION}"))
        elif req.duration_seconds > MAX_DURATION:
            out.append(_value(req.duration_seconds, "durationSeconds",
                              f"Member must have value less than or equal to {MAX_DURATION}"))
    if len(req.tags) > MAX_TAGS:
        out.append(_value("[...]", "tags", f"Member must have length less than or equal to {MAX_TAGS}"))
    for i, (key, value) in enumerate(req.tags, 1):
        member = f"tags.{i}.member"
        if _length(key, f"{member}.key", 1, 128, out) and not _tag_chars_ok(key):
            out.append(_value(key, f"{member}.key",
                              f"Member must satisfy regular expression pattern: {_TAG_PATTERN}+"))
        if _length(value, f"{member}.value", 0, 256, out) and not _tag_chars_ok(value):
            out.append(_value(value, f"{member}.value",
                              f"Member must satisfy regular expression pattern: {_TAG_PATTERN}*"))
    if len(req.transitive_tag_keys) > MAX_TAGS:
        out.append(_value("[...]", "transitiveTagKeys",
                          f"Member must have length less than or equal to {MAX_TAGS}"))
    for key in req.transitive_tag_keys:
        if _length(key, "transitiveTagKeys.member", 1, 128, out) and not _tag_chars_ok(key):
            out.append(_value(key, "transitiveTagKeys.member",
                              f"Member must satisfy regular expression pattern: {_TAG_PATTERN}+"))
    if req.external_id is not None and _length(req.external_id, "externalId", 2, 1224, out) and \
            not _EXTERNAL_ID.fullmatch(req.external_id):
        out.append(_value(req.external_id, "externalId",
                          r"Member must satisfy regular expression pattern: [\w+=,.@:\/-]*"))
    if req.source_identity is not None and _length(req.source_identity, "sourceIdentity", 2, 64, out) \
            and not _SESSION_NAME.fullmatch(req.source_identity):
        out.append(_value(req.source_identity, "sourceIdentity",
                          r"Member must satisfy regular expression pattern: [\w+=,.@-]*"))
    if out:
        raise _validation(out)
    if parse_role_arn(req.role_arn) is None:
        raise ServiceError("ValidationError", "Request ARN is invalid", 400)
    if req.source_identity is not None and req.source_identity.lower().startswith("aws:"):
        raise ServiceError("ValidationError", "SourceIdentity cannot start with the reserved prefix 'aws:'",
                           400)
    seen: set[str] = set()
    for key, _ in req.tags:
        if key.lower() in seen:
            raise ServiceError("ValidationError", "Duplicate tag keys found. Please note that Tag keys are "
                               "case insensitive.", 400)
        seen.add(key.lower())


def parse_role_arn(arn: str) -> tuple[str, str, str] | None:
    """``(partition, account, role name)`` of a role ARN (path allowed), else None."""
    match = _ROLE_ARN.match(arn)
    return (match.group(1), match.group(2), match.group(3)) if match else None


def find_role(store: Any, role_arn: str) -> Any | None:
    """The store's RoleRecord that ``role_arn`` names (path included in the comparison), or None."""
    parsed = parse_role_arn(role_arn)
    if parsed is None:
        return None
    role = store.get_role(parsed[1], parsed[2])
    if role is None or role.arn != role_arn:
        return None
    return role


@functools.lru_cache(maxsize=1024)
def trust_policy(document: str) -> Policy:
    """A role's trust policy compiled as kind "trust" (cached by document text)."""
    return parse_policy(document, kind="trust", name="trust policy")


# -- preparation -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RoleSession:
    """A validated session request for one role, ready to be judged and issued."""

    request: SessionRequest
    role: Any                                    # podid.store.RoleRecord
    trust: Policy
    tags: Mapping[str, str]                      # session tags: inherited transitive + requested
    transitive_tag_keys: tuple[str, ...]         # inherited + requested
    session_policy: str | None                   # merged inline + managed document, sealed in the token
    packed_policy_size: int | None               # percent; None when no policy and no tag was passed
    duration: int
    chained: bool
    source_identity: str | None
    requested_tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def role_arn(self) -> str:
        return str(self.role.arn)

    @property
    def tagging(self) -> bool:
        """Whether the new session carries session tags (then the trust must allow sts:TagSession)."""
        return bool(self.tags)

    def context(self) -> dict[str, Any]:
        """Condition keys of the assume request (trust policy and the caller's identity policies)."""
        req = self.request
        keys: dict[str, Any] = {"sts:RoleSessionName": req.session_name}
        keys.update(request_tag_keys(self.requested_tags))
        if req.transitive_tag_keys:
            keys["sts:TransitiveTagKeys"] = list(req.transitive_tag_keys)
        if req.external_id is not None:
            keys["sts:ExternalId"] = req.external_id
        if req.source_identity is not None:
            keys["sts:SourceIdentity"] = req.source_identity
        return keys


def _merge_documents(docs: Sequence[tuple[str, Mapping[str, Any]]]) -> str:
    """One session policy with every statement of ``docs`` (their union is what AWS evaluates);
    duplicate Sids are renamed with a numeric suffix."""
    statements: list[dict[str, Any]] = []
    sids: set[str] = set()
    versions = {str(doc.get("Version", "2008-10-17")) for _, doc in docs}
    for _, doc in docs:
        raw = doc.get("Statement", [])
        for stmt in raw if isinstance(raw, list) else [raw]:
            item = dict(stmt)
            sid = item.get("Sid")
            if isinstance(sid, str) and sid:
                base, n = _SID_CHARS.sub("", sid) or "S", 1
                new = base
                while new in sids:
                    n += 1
                    new = f"{base}{n}"
                sids.add(new)
                item["Sid"] = new
            statements.append(item)
    version = "2012-10-17" if versions == {"2012-10-17"} else "2008-10-17"
    return json.dumps({"Version": version, "Statement": statements}, separators=(",", ":"))


def _session_policy(store: Any, account: str, req: SessionRequest) -> tuple[str | None, bytes]:
    """(merged session policy or None, the bytes that count toward the packed size)."""
    docs: list[tuple[str, Mapping[str, Any]]] = []
    packed = b""
    if req.policy is not None:
        try:
            policy = parse_policy(req.policy, kind="session", name="session policy")
        except PolicyError as exc:
            raise ServiceError("MalformedPolicyDocument", exc.message, 400) from exc
        docs.append(("session policy", policy.document))
        packed += json.dumps(policy.document, separators=(",", ":")).encode()
    for arn in req.policy_arns:
        text = store.policy_default_document(account, arn)
        if text is None:
            raise ServiceError("ValidationError", f"Policy {arn} does not exist or is not attachable.", 400)
        try:
            policy = parse_policy(text, kind="session", name=arn)
        except PolicyError as exc:
            raise ServiceError("MalformedPolicyDocument", f"{arn}: {exc.message}", 400) from exc
        docs.append((arn, policy.document))
        packed += arn.encode()
    if not docs:
        return None, packed
    if len(docs) == 1 and req.policy is not None:
        return json.dumps(docs[0][1], separators=(",", ":")), packed
    return _merge_documents(docs), packed


def packed_percent(payload: bytes) -> int:
    """``PackedPolicySize``: the compressed size of policies and tags as a percentage of the limit."""
    if not payload:
        return 0
    return max(1, math.ceil(100 * len(zlib.compress(payload, 9)) / PACKED_LIMIT_BYTES))


def prepare_session(
    store: Any,
    role: Any,
    req: SessionRequest,
    *,
    caller_session: SessionContext | None = None,
    chained: bool = False,
) -> RoleSession:
    """Tags (inherited transitive ones first), session policies and packed size for ``role``.

    ``caller_session``: the calling temporary credential's context (its transitive tags are
    inherited and its source identity persists). ``chained``: the caller is a role session (the
    session is limited to one hour). Raises ServiceError (ValidationError, MalformedPolicyDocument,
    PackedPolicyTooLarge).
    """
    if chained and req.duration_seconds is not None and req.duration_seconds > CHAINED_MAX_DURATION:
        raise ServiceError("ValidationError", "The requested DurationSeconds exceeds the 1 hour session "
                           "limit for roles assumed by role chaining.", 400)
    inherited: dict[str, str] = {}
    inherited_keys: list[str] = []
    source_identity = req.source_identity
    if caller_session is not None:
        passing = {k.lower() for k in caller_session.transitive_tag_keys}
        inherited = {k: v for k, v in caller_session.tags.items() if k.lower() in passing}
        inherited_keys = [k for k in caller_session.transitive_tag_keys if k.lower() in
                          {t.lower() for t in inherited}]
        if caller_session.source_identity:
            if source_identity is not None and source_identity != caller_session.source_identity:
                raise ServiceError("ValidationError", "The source identity of a role chain cannot be "
                                   "changed.", 400)
            source_identity = caller_session.source_identity
    requested = dict(req.tags)
    lowered = {k.lower() for k in inherited}
    for key in requested:
        if key.lower() in lowered:
            raise ServiceError("InvalidParameterValue", f"The session tag {key} conflicts with a transitive "
                               "tag inherited from the calling session.", 400)
    tags = {**inherited, **requested}
    requested_lower = {k.lower(): k for k in requested}
    transitive = list(inherited_keys)
    for key in req.transitive_tag_keys:
        if key.lower() not in requested_lower:
            raise ServiceError("InvalidParameterValue", f"The transitive tag key {key} is not one of the "
                               "session tags passed in the request.", 400)
        canonical = requested_lower[key.lower()]
        if canonical not in transitive:
            transitive.append(canonical)

    account = str(role.account_id)
    policy, packed = _session_policy(store, account, req)
    packed_size: int | None = None
    if req.policy is not None or req.policy_arns or tags:
        payload = packed + b"".join(f"{k}={v};".encode() for k, v in sorted(tags.items()))
        packed_size = packed_percent(payload)
        if packed_size > 100:
            raise ServiceError("PackedPolicyTooLarge", f"Packed size of consumed session policies and tags "
                               f"exceeds the limit by {packed_size - 100}%.", 400)
    try:
        trust = trust_policy(role.assume_role_policy_document)
    except PolicyError as exc:  # a stored trust policy that no longer compiles trusts nobody
        raise ServiceError("AccessDenied", "The role's trust policy does not compile", 403) from exc
    return RoleSession(
        request=req, role=role, trust=trust, tags=tags, transitive_tag_keys=tuple(transitive),
        session_policy=policy, packed_policy_size=packed_size,
        duration=req.duration_seconds if req.duration_seconds is not None else DEFAULT_DURATION,
        chained=chained, source_identity=source_identity, requested_tags=requested,
    )


# -- issuing ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class IssuedSession:
    """Credentials of a new role session plus what STS reports about it."""

    credentials: TemporaryCredentials
    role: Any
    assumed_role_arn: str               # arn:aws:sts::ACCT:assumed-role/ROLE/SESSION
    assumed_role_id: str                # AROA...:SESSION
    packed_policy_size: int | None
    source_identity: str | None

    @property
    def expiration(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.credentials.expiration, dt.UTC)

    def sts_output(self) -> dict[str, Any]:
        """``Credentials``, ``AssumedRoleUser`` and, when set, ``PackedPolicySize``/``SourceIdentity``."""
        c = self.credentials
        out: dict[str, Any] = {
            "Credentials": {"AccessKeyId": c.access_key_id, "SecretAccessKey": c.secret_access_key,
                            "SessionToken": c.session_token, "Expiration": self.expiration},
            "AssumedRoleUser": {"AssumedRoleId": self.assumed_role_id, "Arn": self.assumed_role_arn},
        }
        if self.packed_policy_size is not None:
            out["PackedPolicySize"] = self.packed_policy_size
        if self.source_identity:
            out["SourceIdentity"] = self.source_identity
        return out


def assumed_role_arn(role: Any, session_name: str) -> str:
    """``arn:<partition>:sts::ACCT:assumed-role/<role name, no path>/<session>``."""
    partition = str(role.arn).split(":", 2)[1]
    return f"arn:{partition}:sts::{role.account_id}:assumed-role/{role.name}/{session_name}"


def issue_session(tokens: TokenCodec, session: RoleSession, *, duration: int | None = None) -> IssuedSession:
    """Check the duration against the role's MaxSessionDuration, then seal the session.

    ``duration``: a lifetime fixed by the calling service instead of ``DurationSeconds`` (EKS Pod
    Identity: 6 h, 59 min chained); it is not limited by the role's MaxSessionDuration.
    """
    role = session.role
    if duration is None:
        duration = session.duration
        if duration > int(role.max_session_duration):
            raise ServiceError("ValidationError", "The requested DurationSeconds exceeds the "
                               "MaxSessionDuration set for this role.", 400)
    name = session.request.session_name
    arn = assumed_role_arn(role, name)
    template = SessionContext(
        principal_arn=arn, account=str(role.account_id), role_arn=str(role.arn), role_id=str(role.role_id),
        session_name=name, tags=dict(session.tags), transitive_tag_keys=session.transitive_tag_keys,
        session_policy=session.session_policy, source_identity=session.source_identity, kind="assumed-role",
    )
    creds = tokens.issue(template, duration)
    return IssuedSession(creds, role, arn, f"{role.role_id}:{name}", session.packed_policy_size,
                         session.source_identity)


# -- principals judged by the trust policy alone (Service / Federated) ------------------------------
class TrustDenied(Exception):
    """The role does not exist or its trust policy does not allow ``action`` for the principal."""

    def __init__(self, action: str, role_arn: str, decision: Decision | None) -> None:
        super().__init__(f"not authorized to perform {action} on {role_arn}")
        self.action = action
        self.role_arn = role_arn
        self.decision = decision


def check_trust(
    session: RoleSession,
    *,
    principal: str,
    principal_type: str,
    action: str,
    context: Mapping[str, Any] | None = None,
    identity: Sequence[Policy] = (),
    boundary: Sequence[Policy] | None = None,
    session_policies: Sequence[Policy] | None = None,
) -> Decision:
    """Judge ``action`` on the role for ``principal`` with the role's trust policy as the resource
    policy; raises :class:`TrustDenied` when it is not allowed.

    A Service/Federated principal is judged by the trust policy alone. An ``AWS`` principal (a
    role session chaining into this role without a :class:`CallContext`, as EKS Auth's target
    roles) also passes its ``identity`` policies, ``boundary`` and ``session_policies``.
    """
    keys = {**session.context(), **(context or {})}
    request = Request(principal=principal, action=action, resource=session.role_arn, context=keys,
                      principal_type=principal_type,  # type: ignore[arg-type]
                      resource_account=str(session.role.account_id))
    policies = PolicySet(identity=tuple(identity), resource=session.trust,
                         boundary=tuple(boundary) if boundary is not None else None,
                         session=tuple(session_policies) if session_policies is not None else None)
    decision = evaluate(request, policies)
    if not decision.allowed:
        raise TrustDenied(action, session.role_arn, decision)
    return decision


def assume_role_as(
    store: Any,
    tokens: TokenCodec,
    req: SessionRequest,
    *,
    principal: str,
    principal_type: str = "Service",
    action: str = "sts:AssumeRole",
    context: Mapping[str, Any] | None = None,
    duration: int | None = None,
) -> IssuedSession:
    """Validate, judge (trust policy only; plus sts:TagSession when the session has tags) and issue.

    For EKS Auth: ``principal="pods.eks.amazonaws.com"``, ``principal_type="Service"``,
    ``duration=6 * 3600``. Raises
    ServiceError (ValidationError, MalformedPolicyDocument, PackedPolicyTooLarge) or TrustDenied.
    """
    validate_request(req)
    role = find_role(store, req.role_arn)
    if role is None:
        raise TrustDenied(action, req.role_arn, None)
    session = prepare_session(store, role, req)
    check_trust(session, principal=principal, principal_type=principal_type, action=action, context=context)
    if session.tagging:
        check_trust(session, principal=principal, principal_type=principal_type, action="sts:TagSession",
                    context=context)
    return issue_session(tokens, session, duration=duration)

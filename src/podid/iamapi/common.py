"""Shared plumbing of the IAM handlers: registration with error mapping, input validation, paging.

`@iam_op("CreateRole")` registers a handler for service "iam" and turns store errors
(`podid.store.StoreError`) and policy errors (`podid.iam.PolicyError`) into `ServiceError`s with
IAM's code, status and message. Validation helpers raise IAM's `ValidationError` texts.
"""

from __future__ import annotations

import functools
import re
import unicodedata
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from podid.errors import ServiceError
from podid.gateway.context import CallContext
from podid.gateway.registry import handler
from podid.iam import SIZE_LIMITS, PolicyError, parse_policy
from podid.iam.tagkeys import request_tag_keys
from podid.store import Store, StoreError

Handler = Callable[[CallContext], dict[str, Any]]
NAME = re.compile(r"^[\w+=,.@-]+$")
PATH = re.compile(r"^(/|/[\x21-\x7E]+/)$")
PATH_PREFIX = re.compile(r"^/[\x21-\x7E]*$")
STATUS = ("Active", "Inactive")


def iam_op(operation: str) -> Callable[[Handler], Handler]:
    """Register `fn` as the handler of IAM `operation`, mapping store/policy errors to ServiceError."""

    def register(fn: Handler) -> Handler:
        @functools.wraps(fn)
        def wrapped(ctx: CallContext) -> dict[str, Any]:
            try:
                return fn(ctx)
            except StoreError as exc:
                raise ServiceError(exc.code, exc.message, exc.status) from None
            except PolicyError as exc:
                raise policy_error(exc) from None

        handler("iam", operation)(wrapped)
        return wrapped

    return register


def policy_error(exc: PolicyError) -> ServiceError:
    status = 409 if exc.code == "LimitExceeded" else 400
    return ServiceError(exc.code, exc.message, status)


def store(ctx: CallContext) -> Store:
    return ctx.app.store  # type: ignore[no-any-return]


def account(ctx: CallContext) -> str:
    return ctx.caller.account


# --- validation ---------------------------------------------------------------------------------


def validation(value: Any, member: str, constraint: str) -> ServiceError:
    return ServiceError(
        "ValidationError",
        f"1 validation error detected: Value '{value}' at '{member}' "
        f"failed to satisfy constraint: {constraint}",
        400,
    )


def required(params: Mapping[str, Any], key: str) -> Any:
    value = params.get(key)
    if value is None:
        member = key[0].lower() + key[1:]
        raise ServiceError(
            "ValidationError",
            f"1 validation error detected: Value null at '{member}' failed to satisfy constraint: "
            "Member must not be null",
            400,
        )
    return value


def name_param(params: Mapping[str, Any], key: str, max_len: int = 64, *, optional: bool = False) -> str:
    """A user/role/policy name: IAM's pattern and length, else ValidationError."""
    value = params.get(key) if optional else required(params, key)
    if value is None:
        return ""
    member = key[0].lower() + key[1:]
    if not 1 <= len(value) <= max_len:
        raise validation(value, member, f"Member must have length less than or equal to {max_len}")
    if not NAME.match(value):
        raise validation(value, member, r"Member must satisfy regular expression pattern: [\w+=,.@-]+")
    return str(value)


def path_param(params: Mapping[str, Any], key: str = "Path") -> str:
    value = params.get(key)
    if value is None:
        return "/"
    if len(value) > 512 or not PATH.match(value):
        raise ServiceError(
            "ValidationError",
            "The specified value for path is invalid. It must begin and end with / and contain only "
            "alphanumeric characters and/or / characters.",
            400,
        )
    return str(value)


def path_prefix_param(params: Mapping[str, Any]) -> str:
    value = params.get("PathPrefix")
    if value is None:
        return "/"
    if len(value) > 512 or not PATH_PREFIX.match(value):
        raise ServiceError(
            "ValidationError",
            "The specified value for pathPrefix is invalid. It must begin with / and contain only "
            "alphanumeric characters and/or / characters.",
            400,
        )
    return str(value)


def description_param(params: Mapping[str, Any]) -> str | None:
    value = params.get("Description")
    if value is not None and len(value) > 1000:
        raise validation(value, "description", "Member must have length less than or equal to 1000")
    return None if value is None else str(value)


#: IAM's tag key/value character class (botocore model tagKeyType/tagValueType; AWS answers
#: "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*").
TAG_PATTERN = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]"
_TAG_EXTRA = frozenset("_.:/=+-@")
_PATTERN_MSG = "Member must satisfy regular expression pattern: "


def tag_chars_ok(text: str) -> bool:
    """Every character is a letter, separator, number or one of ``_.:/=+-@``."""
    return all(c in _TAG_EXTRA or unicodedata.category(c)[0] in "LZN" for c in text)


def tags_param(params: Mapping[str, Any], key: str = "Tags") -> list[dict[str, str]]:
    """The request's tags, validated like IAM: lengths and characters per ``tags.N.member.*``
    (1-based N), then case-insensitive duplicate keys, then at most 50."""
    tags = params.get(key) or []
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for i, tag in enumerate(tags, 1):
        k, v = tag.get("Key"), tag.get("Value", "")
        member = f"tags.{i}.member"
        if k is None or not 1 <= len(k) <= 128:
            raise validation(k, f"{member}.key", "Member must have length less than or equal to 128")
        if not tag_chars_ok(k):
            raise validation(k, f"{member}.key", f"{_PATTERN_MSG}{TAG_PATTERN}+")
        if v is None or len(v) > 256:
            raise validation(v, f"{member}.value", "Member must have length less than or equal to 256")
        if not tag_chars_ok(v):
            raise validation(v, f"{member}.value", f"{_PATTERN_MSG}{TAG_PATTERN}*")
        if k.lower() in seen:
            raise ServiceError(
                "InvalidInput",
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
                400,
            )
        seen.add(k.lower())
        out.append({"Key": str(k), "Value": str(v)})
    if len(out) > 50:
        raise validation("[...]", "tags", "Member must have length less than or equal to 50")
    return out


def tag_context(tags: Sequence[Mapping[str, str]]) -> dict[str, Any]:
    """aws:RequestTag/<key> and aws:TagKeys for a request carrying `tags`."""
    return dict(request_tag_keys({t["Key"]: t["Value"] for t in tags or ()}))


def resource_tag_context(tags: Sequence[Mapping[str, str]]) -> dict[str, Any]:
    return {f"aws:ResourceTag/{t['Key']}": t["Value"] for t in tags}


def policy_document(params: Mapping[str, Any], key: str, *, kind: str, size: str, name: str) -> str:
    """The document in `params[key]`, validated by the judge (MalformedPolicyDocument/LimitExceeded)."""
    doc = required(params, key)
    if not isinstance(doc, str) or not doc.strip():
        raise ServiceError("MalformedPolicyDocument", "Syntax errors in policy.", 400)
    limit, quota = SIZE_LIMITS[size]
    parse_policy(doc, kind=kind, name=name, max_size=limit, size_quota=quota)  # type: ignore[arg-type]
    return doc


def encode_document(doc: str) -> str:
    """Policy documents travel URL-encoded in IAM responses (botocore decodes them)."""
    return urllib.parse.quote(doc, safe="")


def arn_account(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


def check_policy_arn(arn: str, member: str = "policyArn") -> str:
    if not isinstance(arn, str) or len(arn) < 20 or not arn.startswith("arn:"):
        raise validation(arn, member, "Member must have length greater than or equal to 20")
    if ":policy/" not in arn:
        raise ServiceError("InvalidInput", f"ARN {arn} is not valid.", 400)
    return arn


# --- paging -------------------------------------------------------------------------------------


def page(params: Mapping[str, Any], items: list[Any], key: str) -> dict[str, Any]:
    """Marker/MaxItems paging over a fully materialised list (default 100 items per page)."""
    max_items = params.get("MaxItems") or 100
    if not 1 <= int(max_items) <= 1000:
        raise validation(max_items, "maxItems", "Member must have value less than or equal to 1000")
    start = 0
    marker = params.get("Marker")
    if marker:
        try:
            start = int(marker)
        except ValueError:
            raise ServiceError("InvalidInput", "Invalid Marker.", 400) from None
    chunk = items[start : start + int(max_items)]
    out: dict[str, Any] = {key: chunk, "IsTruncated": start + len(chunk) < len(items)}
    if out["IsTruncated"]:
        out["Marker"] = str(start + len(chunk))
    return out

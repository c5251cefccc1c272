"""A Terraform configuration's plan without a provider: the objects it would create and the lint of
every policy document in it.

:func:`plan_configuration` takes the ``*.tf`` files' text (name -> text) and returns a :class:`Plan`:
one :class:`PlannedObject` per ``resource`` block (its address, the AWS or Kubernetes object, its
identifying label), one :class:`PlannedPolicy` per policy-valued argument (the document as it would
be sent, its kind, the findings of :func:`podid.iam.lint.lint_policy`). Policies whose text is known
only after apply are listed with that note and not linted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from podid.iam.lint import lint_policy
from podid.iam.model import Finding
from podid.tfplan import hcl
from podid.tfplan.expressions import Evaluator, Unknown, has_unknown
from podid.tfplan.resources import Account, data_attributes, resource_type


@dataclass(frozen=True)
class PlannedObject:
    address: str          # aws_iam_role.s3_reader
    service: str          # IAM, EKS, ..., Kubernetes; "" for types podid does not know
    kind: str             # Role, ServiceAccount, ...
    label: str            # its name (or cluster/namespace/sa -> role for an association)


@dataclass(frozen=True)
class PlannedPolicy:
    address: str          # aws_iam_role.s3_reader.assume_role_policy
    kind: str             # identity | trust | resource
    document: str | None  # JSON as sent; None when known only after apply
    findings: tuple[Finding, ...]
    unknown: str = ""     # why the document is not known before apply


@dataclass
class Plan:
    objects: list[PlannedObject] = field(default_factory=list)
    policies: list[PlannedPolicy] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "objects": [vars(o) for o in self.objects],
            "policies": [{"address": p.address, "kind": p.kind,
                          "document": json.loads(p.document) if p.document else None,
                          "unknown": p.unknown or None,
                          "findings": [{"severity": f.severity, "code": f.code, "message": f.message,
                                        "location": f.location} for f in p.findings]}
                         for p in self.policies],
            "errors": self.errors,
        }


class _Configuration:
    """The merged top-level blocks of all files."""

    def __init__(self, files: Mapping[str, str], variables: Mapping[str, Any], account: Account) -> None:
        self.resources: dict[tuple[str, str], Any] = {}
        self.data: dict[tuple[str, str], Any] = {}
        self.account = account
        defaults: dict[str, Any] = {}
        local_values: dict[str, Any] = {}
        self.errors: list[str] = []
        for name, text in sorted(files.items()):
            try:
                top = hcl.load(text, name)
            except hcl.HclError as e:
                self.errors.append(str(e))
                continue
            for (type_name, res_name), body in hcl.labelled(top.get("resource"), 2):
                self.resources[(type_name, res_name)] = body
            for (type_name, res_name), body in hcl.labelled(top.get("data"), 2):
                self.data[(type_name, res_name)] = body
            for (var_name,), body in hcl.labelled(top.get("variable"), 1):
                if isinstance(body, Mapping) and "default" in body:
                    defaults[var_name] = body["default"]
            for block in top.get("locals") or []:
                local_values.update(block)
        self.evaluator = Evaluator({**defaults, **variables}, local_values, self._attributes)
        self._resolved: dict[tuple[str, str, str], Any] = {}

    def args(self, section: str, type_name: str, name: str) -> Any:
        key = (section, type_name, name)
        if key not in self._resolved:
            table = self.resources if section == "resource" else self.data
            self._resolved[key] = self.evaluator.resolve(table.get((type_name, name), {}))
        return self._resolved[key]

    def _attributes(self, evaluator: Evaluator, section: str, type_name: str,
                    name: str) -> Mapping[str, Any] | None:
        table = self.resources if section == "resource" else self.data
        if (type_name, name) not in table:
            return None
        args = self.args(section, type_name, name)
        if section == "data":
            return data_attributes(type_name, args, self.account)
        rtype = resource_type(type_name)
        computed = rtype.computed(args, self.account) if rtype else {}
        return {**args, **computed}


def _policy_values(args: Any, path: str) -> Iterable[tuple[str, Any]]:
    """(address suffix, value) for an argument path; ``a[*].b`` walks every ``a`` block."""
    if "[*]." in path:
        head, rest = path.split("[*].", 1)
        for i, block in enumerate(args.get(head) or []):
            if isinstance(block, Mapping):
                for suffix, value in _policy_values(block, rest):
                    yield f"{head}[{i}].{suffix}", value
    elif isinstance(args, Mapping) and path in args:
        yield path, args[path]


def _planned_policy(address: str, kind: str, value: Any) -> PlannedPolicy:
    """A document known only after apply is listed, not linted; one with some values known only after
    apply (an OIDC provider's ARN, an issuer in a condition key) is linted with those values as their
    ``${...}`` text, which the rules read as opaque names."""
    if isinstance(value, Unknown):
        return PlannedPolicy(address, kind, None, (), f"known after apply: {value}")
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    note = "some values known after apply" if has_unknown(text) else ""
    findings = lint_policy(text, kind=kind, name=address)  # type: ignore[arg-type]
    return PlannedPolicy(address, kind, text, tuple(findings), note)


def plan_configuration(files: Mapping[str, str], *, account: Account,
                       variables: Mapping[str, Any] | None = None) -> Plan:
    """The plan of the configuration made of ``files`` (file name -> HCL text)."""
    config = _Configuration(files, variables or {}, account)
    plan = Plan(errors=list(config.errors))
    for (type_name, name) in config.resources:
        args = config.args("resource", type_name, name)
        rtype = resource_type(type_name)
        address = f"{type_name}.{name}"
        if rtype is None:
            plan.objects.append(PlannedObject(address, "", type_name, str(args.get("name", ""))))
            continue
        plan.objects.append(PlannedObject(address, rtype.service, rtype.kind, rtype.label(args)))
        for path, kind in rtype.policies:
            for suffix, value in _policy_values(args, path):
                plan.policies.append(_planned_policy(f"{address}.{suffix}", kind, value))
    return plan

"""``data "aws_iam_policy_document"`` rendered as the hashicorp/aws provider renders its ``json``:
Version 2012-10-17 (or ``version``), one statement per ``statement`` block (``effect`` defaults to
Allow), ``principals``/``not_principals`` as ``{type: identifiers}`` (``type = "*"`` as ``"*"``),
``condition`` blocks grouped by test then variable, single-element lists as a plain string, the
provider's string sets (actions, resources, identifiers) in its set order (:func:`set_order`); statements
of ``source_policy_documents`` first, then this document's, then ``override_policy_documents``
(a statement with the same ``Sid`` replaces the earlier one)."""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from typing import Any

_LISTS = (("actions", "Action"), ("not_actions", "NotAction"), ("resources", "Resource"),
          ("not_resources", "NotResource"))


def set_order(values: list[Any]) -> list[Any]:
    """A Terraform SDK string set's order: by the decimal text of each element's CRC-32 hash code
    (``schema.HashString``), compared as strings; duplicates collapse."""
    unique = list(dict.fromkeys(values))
    return sorted(unique, key=lambda v: str(zlib.crc32(str(v).encode())))


def _one_or_list(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else values


def _principals(blocks: list[Mapping[str, Any]]) -> Any:
    out: dict[str, list[Any]] = {}
    for block in blocks:
        kind, ids = str(block.get("type", "")), set_order(list(block.get("identifiers") or []))
        if kind == "*":
            return "*"
        out.setdefault(kind, []).extend(ids)
    return {k: _one_or_list(v) for k, v in out.items()}


def _conditions(blocks: list[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, list[Any]]] = {}
    for block in blocks:
        by_key = out.setdefault(str(block.get("test", "")), {})
        by_key.setdefault(str(block.get("variable", "")), []).extend(block.get("values") or [])
    return {test: {k: _one_or_list(v) for k, v in keys.items()} for test, keys in out.items()}


def statement(block: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if block.get("sid"):
        out["Sid"] = block["sid"]
    out["Effect"] = block.get("effect") or "Allow"
    for arg, key in _LISTS:
        if block.get(arg):
            out[key] = _one_or_list(set_order(list(block[arg])))
    if block.get("principals"):
        out["Principal"] = _principals(block["principals"])
    if block.get("not_principals"):
        out["NotPrincipal"] = _principals(block["not_principals"])
    if block.get("condition"):
        out["Condition"] = _conditions(block["condition"])
    return out


def _merge(statements: list[dict[str, Any]], more: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for stmt in more:
        sid = stmt.get("Sid")
        at = next((i for i, s in enumerate(statements) if sid and s.get("Sid") == sid), None)
        if at is None:
            statements.append(stmt)
        else:
            statements[at] = stmt
    return statements


def _statements_of(documents: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for text in documents or []:
        try:
            doc = json.loads(text) if isinstance(text, str) else {}
        except json.JSONDecodeError:
            continue
        stmts = doc.get("Statement", []) if isinstance(doc, dict) else []
        found.extend(s for s in ([stmts] if isinstance(stmts, dict) else stmts) if isinstance(s, dict))
    return found


def render(body: Mapping[str, Any]) -> dict[str, Any]:
    """The policy document (a dict) of one evaluated ``aws_iam_policy_document`` body."""
    statements = _merge(_statements_of(body.get("source_policy_documents")), [])
    statements = _merge(statements, [statement(b) for b in body.get("statement") or []])
    statements = _merge(statements, _statements_of(body.get("override_policy_documents")))
    doc: dict[str, Any] = {"Version": body.get("version") or "2012-10-17"}
    if body.get("policy_id"):
        doc["Id"] = body["policy_id"]
    doc["Statement"] = statements
    return doc


def render_json(body: Mapping[str, Any]) -> str:
    return json.dumps(render(body), indent=2, default=str)

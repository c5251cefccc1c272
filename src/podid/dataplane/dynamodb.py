"""DynamoDB: table/index ARNs, per-table batch items, dynamodb:LeadingKeys and dynamodb:Attributes."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any

from podid.dataplane.kit import (
    CORAL_ACCESS_DENIED,
    AuthzItem,
    Context,
    DataplaneRequest,
    Lookup,
    PolicyParam,
    ServiceSpec,
    action_for,
    owner,
    request_tag_context,
    tag_context,
    tag_list,
)

IAM_PREFIX = "dynamodb"

#: Operations whose IAM action is not ``dynamodb:<Operation>`` (none: batch calls are
#: ``dynamodb:BatchGetItem``/``BatchWriteItem`` on every table named in the request, as AWS does).
ACTIONS: dict[str, str] = {}

GLOBAL_OPS = frozenset({"ListTables", "ListBackups", "ListGlobalTables", "DescribeLimits",
                        "DescribeEndpoints",
                        "ListExports", "ListImports", "ListContributorInsights", "DescribeExport",
                        "DescribeImport", "ListBulkOperations"})

#: TransactWriteItems member -> action.
TRANSACT_WRITE = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                  "ConditionCheck": "ConditionCheckItem"}

#: PartiQL statement verb -> action.
PARTIQL = {"SELECT": "PartiQLSelect", "INSERT": "PartiQLInsert", "UPDATE": "PartiQLUpdate",
           "DELETE": "PartiQLDelete"}

_NAME = re.compile(r"#?[A-Za-z_][A-Za-z0-9_]*")
_FROM = re.compile(r'(?:FROM|INTO|UPDATE)\s+"?([A-Za-z0-9_.\-]+)"?(?:\."?([A-Za-z0-9_.\-]+)"?)?', re.I)


def table_arn(region: str, account: str, table: str, index: str | None = None) -> str:
    """``arn:aws:dynamodb:R:A:table/T`` or ``.../table/T/index/I``"""
    base = table if table.startswith("arn:") else f"arn:aws:dynamodb:{region}:{account}:table/{table}"
    return f"{base}/index/{index}" if index else base


def _table_name(table: str) -> str:
    return table.split(":table/", 1)[1].split("/")[0] if table.startswith("arn:") else table


def attr_string(value: Any) -> str | None:
    """A DynamoDB AttributeValue as the string IAM compares (S, N, B only: key types)."""
    if not isinstance(value, Mapping):
        return None if value is None else str(value)
    if "S" in value:
        return str(value["S"])
    if "N" in value:
        return str(value["N"])
    if "B" in value:
        b = value["B"]
        return base64.b64encode(b).decode() if isinstance(b, bytes | bytearray) else str(b)
    return None


def _names(expr: str | None, names: Mapping[str, str] | None) -> list[str]:
    """Attribute names used in an expression (placeholders resolved, :values and keywords skipped)."""
    if not expr:
        return []
    names = names or {}
    keywords = {"SET", "REMOVE", "ADD", "DELETE", "AND", "OR", "NOT", "BETWEEN", "IN", "if_not_exists",
                "list_append", "attribute_exists", "attribute_not_exists", "attribute_type", "begins_with",
                "contains", "size"}
    out: list[str] = []
    for m in _NAME.finditer(re.sub(r":[A-Za-z0-9_]+", " ", expr)):
        tok = m.group(0)
        if tok in keywords or tok.upper() in keywords:
            continue
        name = names.get(tok, tok) if tok.startswith("#") else tok
        if name not in out:
            out.append(name)
    return out


def _leading_from_condition(expr: str | None, hash_key: str, names: Mapping[str, str] | None,
                            values: Mapping[str, Any] | None) -> list[str]:
    if not expr:
        return []
    names = names or {}
    values = values or {}
    out = []
    for m in re.finditer(r"(#?[A-Za-z0-9_]+)\s*=\s*(:[A-Za-z0-9_]+)", expr):
        attr = names.get(m.group(1), m.group(1)) if m.group(1).startswith("#") else m.group(1)
        if attr == hash_key and m.group(2) in values:
            s = attr_string(values[m.group(2)])
            if s is not None:
                out.append(s)
    return out


def _keys_context(req: DataplaneRequest, lookup: Lookup, table: str, keys: list[Mapping[str, Any]],
                  ctx: Context) -> None:
    schema = lookup.dynamodb_key_schema(req.region, _table_name(table))
    if schema is None:
        return
    hash_key = schema[0]
    leading = [s for k in keys if (s := attr_string(k.get(hash_key))) is not None]
    if leading:
        ctx["dynamodb:LeadingKeys"] = list(dict.fromkeys(leading))


def _item(req: DataplaneRequest, lookup: Lookup, action: str, table: str, ctx: Context,
          index: str | None = None) -> AuthzItem:
    arn = table_arn(req.region, req.account, table, index)
    base = table_arn(req.region, req.account, table)
    ctx = dict(ctx)
    tag_context(ctx, lookup.dynamodb_tags(req.region, base))
    # the table's resource-based policy governs the table and its indexes
    return AuthzItem(action, arn, ctx, owner(req.account, lambda: lookup.dynamodb_policy(req.region, base)))


def _op_context(req: DataplaneRequest, lookup: Lookup, op: str, p: Mapping[str, Any], table: str) -> Context:
    ctx: Context = {}
    for param, cond in (("Select", "dynamodb:Select"), ("ReturnValues", "dynamodb:ReturnValues"),
                        ("ReturnConsumedCapacity", "dynamodb:ReturnConsumedCapacity")):
        if p.get(param) is not None:
            ctx[cond] = str(p[param])
    names = p.get("ExpressionAttributeNames")
    attrs: list[str] = []
    if p.get("ProjectionExpression"):
        attrs += _names(p["ProjectionExpression"], names)
    attrs += [str(a) for a in p.get("AttributesToGet") or []]
    if op in ("PutItem",) and isinstance(p.get("Item"), Mapping):
        attrs += list(p["Item"])
    if op == "UpdateItem":
        for member in ("Key", "AttributeUpdates"):
            if isinstance(p.get(member), Mapping):
                attrs += list(p[member])
        attrs += _names(p.get("UpdateExpression"), names)
    if attrs:
        ctx["dynamodb:Attributes"] = list(dict.fromkeys(attrs))
    if op in ("GetItem", "DeleteItem", "UpdateItem") and isinstance(p.get("Key"), Mapping):
        _keys_context(req, lookup, table, [p["Key"]], ctx)
    elif op == "PutItem" and isinstance(p.get("Item"), Mapping):
        _keys_context(req, lookup, table, [p["Item"]], ctx)
    elif op == "Query":
        schema = lookup.dynamodb_key_schema(req.region, _table_name(table))
        if schema is not None:
            leading = _leading_from_condition(p.get("KeyConditionExpression"), schema[0], names,
                                              p.get("ExpressionAttributeValues"))
            kc = (p.get("KeyConditions") or {}).get(schema[0])
            if isinstance(kc, Mapping):
                leading += [s for v in kc.get("AttributeValueList") or [] if (s := attr_string(v))]
            if leading:
                ctx["dynamodb:LeadingKeys"] = leading
    return ctx


def _partiql(req: DataplaneRequest, lookup: Lookup, statement: str) -> AuthzItem:
    verb = statement.strip().split(None, 1)[0].upper() if statement.strip() else "SELECT"
    action = f"dynamodb:{PARTIQL.get(verb, 'PartiQLSelect')}"
    m = _FROM.search(statement)
    table = m.group(1) if m else "*"
    index: str | None = m.group(2) if m and verb == "SELECT" else None
    if table == "*":
        return AuthzItem(action, "*", {})
    return _item(req, lookup, action, table, {}, index)


def items(req: DataplaneRequest, lookup: Lookup) -> list[AuthzItem]:
    """Authorization items for one DynamoDB call."""
    op, p = req.operation, req.params
    action = action_for(IAM_PREFIX, op, ACTIONS)
    if op in GLOBAL_OPS:
        return [AuthzItem(action, "*", {})]
    if op in ("BatchGetItem", "BatchWriteItem"):
        out = []
        for table, spec in (p.get("RequestItems") or {}).items():
            ctx: Context = {}
            if op == "BatchGetItem":
                spec = spec or {}
                keys = list(spec.get("Keys") or [])
                attrs = _names(spec.get("ProjectionExpression"), spec.get("ExpressionAttributeNames"))
                attrs += [str(a) for a in spec.get("AttributesToGet") or []]
                if attrs:
                    ctx["dynamodb:Attributes"] = attrs
            else:
                keys = []
                for w in spec or []:
                    if "PutRequest" in w:
                        keys.append(w["PutRequest"].get("Item") or {})
                    elif "DeleteRequest" in w:
                        keys.append(w["DeleteRequest"].get("Key") or {})
            _keys_context(req, lookup, str(table), keys, ctx)
            out.append(_item(req, lookup, action, str(table), ctx))
        return out
    if op == "TransactGetItems":
        return [_item(req, lookup, "dynamodb:GetItem", str(t["Get"]["TableName"]),
                      _op_context(req, lookup, "GetItem", t["Get"], str(t["Get"]["TableName"])))
                for t in p.get("TransactItems") or [] if "Get" in t]
    if op == "TransactWriteItems":
        out = []
        for t in p.get("TransactItems") or []:
            for member, act in TRANSACT_WRITE.items():
                if member in t:
                    sub = t[member]
                    table = str(sub.get("TableName", ""))
                    sub_op = act if act != "ConditionCheckItem" else "GetItem"
                    out.append(_item(req, lookup, f"dynamodb:{act}", table,
                                     _op_context(req, lookup, sub_op, sub, table)))
        return out
    if op == "ExecuteStatement":
        return [_partiql(req, lookup, str(p.get("Statement", "")))]
    if op in ("BatchExecuteStatement", "ExecuteTransaction"):
        stmts = p.get("Statements") or p.get("TransactStatements") or []
        return [_partiql(req, lookup, str(s.get("Statement", ""))) for s in stmts]
    table = str(p.get("TableName") or p.get("ResourceArn") or p.get("TableArn") or "")
    if not table:
        return [AuthzItem(action, "*", {})]
    ctx = _op_context(req, lookup, op, p, table)
    if op in ("CreateTable", "TagResource"):
        request_tag_context(ctx, tag_list(p.get("Tags")))
    elif op == "UntagResource":
        ctx["aws:TagKeys"] = [str(k) for k in p.get("TagKeys") or []]
    return [_item(req, lookup, action, table, ctx, p.get("IndexName"))]


SPEC = ServiceSpec(
    scope="dynamodb", botocore="dynamodb", iam_prefix=IAM_PREFIX, moto="dynamodb", items=items,
    access_denied=("AccessDeniedException", 400),
    denial_type=CORAL_ACCESS_DENIED, actions=ACTIONS, policy_name="table policy",
    policy_params={
        "PutResourcePolicy": PolicyParam(("Policy",), "ValidationException"),
    },
)

"""What the journal records for DynamoDB (see :mod:`podid.dataplane.journal`): single items.

PutItem, UpdateItem and DeleteItem change one item, BatchWriteItem a list of them; each item is
named by its table and its key values, which podid reads from the parsed request with the table's
key schema (JSON protocol: the same values moto parses). After the call the record holds each
named item's whole new state (or its absence), so a table of n items costs O(1) per write instead
of a snapshot of O(n). Tables with a stream (moto then appends stream records too), table ARNs in
TableName and keys podid cannot read from the request return None: the caller takes a snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

OPERATIONS = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"})


def _backend(backend_dict: Any, account: str, region: str) -> Any:
    regions = dict.get(backend_dict, account)
    return dict.get(regions, region) if regions is not None else None


def _item_key(table: Any, attrs: Any) -> tuple[Any, Any] | None:
    """(hash, range) DynamoType values of an item or key map, or None if they are not there."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    if not isinstance(attrs, Mapping) or table.hash_key_attr not in attrs:
        return None
    hash_value = DynamoType(attrs[table.hash_key_attr])
    range_value = None
    if table.range_key_attr is not None:
        if table.range_key_attr not in attrs:
            return None
        range_value = DynamoType(attrs[table.range_key_attr])
    return hash_value, range_value


def _targets(backend: Any, operation: str, params: Mapping[str, Any]) -> list[tuple[Any, Any, Any]] | None:
    """(table, hash, range) of every item the call may change, or None (snapshot path)."""
    if operation == "BatchWriteItem":
        writes = [(name, (request.get("PutRequest") or {}).get("Item")
                   or (request.get("DeleteRequest") or {}).get("Key"))
                  for name, requests in (params.get("RequestItems") or {}).items() for request in requests]
    else:
        attrs = params.get("Item") if operation == "PutItem" else params.get("Key")
        writes = [(params.get("TableName"), attrs)]
    out = []
    for name, attrs in writes:
        table = backend.tables.get(name) if isinstance(name, str) and not name.startswith("arn:") else None
        if table is None or table.stream_shard is not None:
            return None
        key = _item_key(table, attrs)
        if key is None:
            return None
        out.append((table, *key))
    return out or None


def watch(backend_dict: Any, account: str, region: str, operation: str,
          params: Mapping[str, Any]) -> Watch | None:
    """Start watching a call the journal may record (DynamoDB lock held), or None."""
    if operation not in OPERATIONS:
        return None
    backend = _backend(backend_dict, account, region)
    targets = _targets(backend, operation, params) if backend is not None else None
    return Watch(account, region, targets) if targets else None


def _current(table: Any, hash_value: Any, range_value: Any) -> Any:
    if range_value is None:
        return table.items.get(hash_value)
    return table.items.get(hash_value, {}).get(range_value)


@dataclass
class Watch:
    """The items one call may change."""

    account: str
    region: str
    targets: list[tuple[Any, Any, Any]]

    def changes(self) -> dict[str, Any] | None:
        """Each named item's state after the call (None: absent)."""
        items = [(table.name, h, r, _current(table, h, r)) for table, h, r in self.targets]
        return {"account": self.account, "region": self.region, "items": items}


def apply(record: dict[str, Any], backend_dict: Any) -> None:
    """Set each item of a record to its recorded state (replay; the table must still exist)."""
    backend = _backend(backend_dict, record["account"], record["region"])
    if backend is None:
        return
    for name, hash_value, range_value, item in record["items"]:
        table = backend.tables.get(name)
        if table is None:
            continue
        if range_value is None:
            if item is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = item
        elif item is None:
            table.items[hash_value].pop(range_value, None)   # leaves {} behind, as moto does
        else:
            table.items[hash_value][range_value] = item

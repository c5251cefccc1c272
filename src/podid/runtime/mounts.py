"""Making volume mounts appear where the pod spec says.

Two strategies (``RuntimeConfig.mount_mode``):

* ``namespace`` - each container process (and each exec) starts in its own mount namespace
  (``unshare --mount --propagation private``, root only) where a tiny ``/bin/sh`` prologue
  bind-mounts the pod's volume directories onto the spec's ``mountPath``s (read-only when asked),
  then ``exec``s the command. Mount points missing on the host are created there as empty
  directories (or empty files for file ``subPath``s); the mounts themselves never leave the namespace.
* ``rewrite`` - no namespaces: environment values and whole arguments that start with a
  ``mountPath`` are rewritten to the pod's real directory.

:func:`namespace_supported` probes (once) whether the first works on this machine.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podid.runtime.layout import SYSTEM_PATH


class StartError(Exception):
    """The container's process cannot be started (reported as reason ``StartError``, exit 128)."""


@dataclass(frozen=True)
class Mount:
    """A volume (or a ``subPath`` of it) at ``path`` inside the pod."""

    path: str
    source: Path
    read_only: bool = False


def container_mounts(container: Mapping[str, Any], volume_dirs: Mapping[str, Path]) -> list[Mount]:
    """The container's ``volumeMounts``, resolved to host directories, shallowest first."""
    out = []
    for vm in container.get("volumeMounts") or []:
        src = volume_dirs.get(vm.get("name", ""))
        if src is None:
            raise StartError(f'volume "{vm.get("name")}" not found for mount {vm.get("mountPath")}')
        sub = vm.get("subPath") or ""
        if sub:
            src = src / sub
            if not src.exists():
                src.mkdir(parents=True, exist_ok=True)
        out.append(Mount(str(vm.get("mountPath", "")).rstrip("/") or "/", src, bool(vm.get("readOnly"))))
    return sorted(out, key=lambda m: m.path.count("/"))


def _tool(name: str) -> str:
    found = shutil.which(name, path=SYSTEM_PATH)
    if not found:
        raise StartError(f"{name} not found on this host")
    return found


def _prologue() -> str:
    mkdir, mount, touch = _tool("mkdir"), _tool("mount"), _tool("touch")
    return (
        'set -e; wd=$1; shift; while [ "$1" != "--" ]; do '
        f'if [ "$4" = f ]; then {mkdir} -p "${{2%/*}}"; [ -e "$2" ] || {touch} "$2"; '
        f'else {mkdir} -p "$2"; fi; {mount} --bind "$1" "$2"; '
        f'if [ "$3" = ro ]; then {mount} -o remount,bind,ro "$2"; fi; shift 4; done; shift; '
        f'{mkdir} -p "$wd" 2>/dev/null || true; cd "$wd"; exec "$@"'
    )


@functools.lru_cache(maxsize=1)
def namespace_supported() -> bool:
    """True when ``unshare --mount`` plus a bind mount works here (root, util-linux, no seccomp ban)."""
    if os.geteuid() != 0 or not shutil.which("unshare", path=SYSTEM_PATH):
        return False
    with tempfile.TemporaryDirectory(prefix="podid-mnt-probe-") as tmp:
        src, dst = Path(tmp) / "src", Path(tmp) / "dst"
        src.mkdir()
        dst.mkdir()
        (src / "probe").write_text("ok")
        try:
            argv = namespace_argv([Mount(str(dst), src, True)], tmp, ["/bin/cat", str(dst / "probe")])
            proc = subprocess.run(argv, capture_output=True, timeout=10, env={"PATH": SYSTEM_PATH})
        except (OSError, subprocess.SubprocessError, StartError):
            return False
        return proc.returncode == 0 and proc.stdout == b"ok" and not (dst / "probe").exists()


def namespace_argv(mounts: Sequence[Mount], cwd: str, argv: Sequence[str]) -> list[str]:
    """``argv`` run in a fresh mount namespace with ``mounts`` bound and ``cwd`` as working directory."""
    out = [_tool("unshare"), "--mount", "--propagation", "private", "--", "/bin/sh", "-c", _prologue(),
           "podid-mounts", cwd]
    for m in mounts:
        out += [str(m.source), m.path, "ro" if m.read_only else "rw", "d" if m.source.is_dir() else "f"]
    return [*out, "--", *argv]


def rewrite(value: str, mounts: Sequence[Mount]) -> str:
    """``value`` with a leading mount path replaced by the host directory behind it."""
    for m in sorted(mounts, key=lambda m: len(m.path), reverse=True):
        prefix = m.path.rstrip("/")
        if value == m.path or value == prefix:
            return str(m.source)
        if value.startswith(prefix + "/"):
            return str(m.source) + value[len(prefix) :]
    return value


def rewrite_text(text: str, mounts: Sequence[Mount]) -> str:
    """Every mount path *inside* ``text`` (a shell script, ``a=b:c`` lists) rewritten to the host
    directory behind it; a match must stand alone (not ``/workspace`` for ``/work``)."""
    usable = [m for m in mounts if m.path.rstrip("/")]
    if not usable:
        return text
    by_path = {m.path.rstrip("/"): str(m.source) for m in usable}
    alternatives = "|".join(re.escape(p) for p in sorted(by_path, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w./-])({alternatives})(?=/|$|[^\w.-])")
    return pattern.sub(lambda m: by_path[m.group(1)], text)


def shadowing(mount_paths: Sequence[str], protected: Sequence[str]) -> list[str]:
    """The mount paths that would hide a ``protected`` host path (where pod tools, the venv or the
    pod directories live) if bind-mounted over in the pod's mount namespace."""
    out = []
    for raw in mount_paths:
        mp = raw.rstrip("/") or "/"
        if any(mp == "/" or p == mp or p.startswith(mp + "/") for p in protected):
            out.append(raw)
    return out


def under_mount(path: str, mounts: Sequence[Mount]) -> bool:
    return any(path == m.path or path.startswith(m.path.rstrip("/") + "/") for m in mounts)


def resolve_executable(argv0: str, bin_dir: Path, mounts: Sequence[Mount], namespace: bool) -> str:
    """The host path to exec for ``argv0``: the pod's tool of that name, else an existing path."""
    if not argv0:
        raise StartError("no command specified")
    if "/" not in argv0:
        tool = bin_dir / argv0
        if tool.exists():
            return str(tool)
        raise StartError(f'exec: "{argv0}": executable file not found in $PATH')
    if under_mount(argv0, mounts):
        return argv0 if namespace else rewrite(argv0, mounts)
    tool = bin_dir / os.path.basename(argv0)
    if tool.exists():  # /usr/local/bin/aws, /bin/sh: the mapped tool of that name
        return str(tool)
    if Path(argv0).exists():
        return argv0
    raise StartError(f'exec: "{argv0}": stat {argv0}: no such file or directory')

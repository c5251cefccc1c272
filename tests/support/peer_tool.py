"""The shared peer-accuracy tool (tests/data/tools/peer_accuracy.py) as a module; the tool's view of a case.

The tool replays a case under per-case names (it appends a suffix to role and resource names, after
rewriting the account), then substitutes the ids the emulator hands back (the role id behind
``aws:userid``, a secret's random ARN suffix, a KMS key id). :func:`tool_view` makes the same rewrite
with fixed stand-ins for those ids, so the pure judge can decide the case the tool actually replayed.
"""

from __future__ import annotations

import copy
import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

TOOL = Path(__file__).resolve().parents[1] / "data" / "tools" / "peer_accuracy.py"
#: Stand-ins for the ids the tool takes from the emulator (any consistent value gives the same decision).
ROLE_ID = "AROATOOLVIEWROLEID000"
SECRET_SUFFIX = "-Tv0000"
KEY_ID = "00000000-0000-4000-8000-000000000000"


def load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("peer_accuracy", TOOL)
    assert spec is not None and spec.loader is not None, TOOL
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tool_view(tool: ModuleType, case: dict[str, Any], account: str, tok: str = "tv000") -> dict[str, Any]:
    """The case as the tool replays it in ``account`` (its ``namespaced`` + ``substitute`` steps)."""
    orig_ctx = case["request"].get("context", {})
    view: dict[str, Any] = tool.namespaced(copy.deepcopy(case), account, tok)
    placeholder = str(orig_ctx.get("aws:userid", "AROAEXAMPLEID:")).split(":")[0] or "AROAEXAMPLEID"
    view = tool.substitute(view, {placeholder: ROLE_ID})
    res = view["request"]["resource"]
    subst: dict[str, str] = {}
    if res.startswith("arn:aws:secretsmanager:"):
        subst[res] = re.sub(r"-[A-Za-z0-9]{6}$", "", res) + SECRET_SUFFIX
    elif res.startswith("arn:aws:kms:"):
        subst[res.rsplit("/", 1)[1]] = KEY_ID
    view = tool.substitute(view, subst)
    return {**case, **view}

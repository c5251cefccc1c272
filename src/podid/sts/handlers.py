"""Registers every STS operation podid implements (imported by the gateway at start-up).

Add an operation by writing ``podid/sts/<operation>.py`` with an ``@handler("sts", ...)`` function
and listing it in :data:`OPERATION_MODULES`; a listed module that does not exist yet is skipped.
"""

from __future__ import annotations

import importlib

OPERATION_MODULES = [
    "podid.sts.get_caller_identity",
    "podid.sts.assume_role",
    "podid.sts.assume_role_with_web_identity",
]

for _name in OPERATION_MODULES:
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as _exc:
        if _exc.name != _name:
            raise

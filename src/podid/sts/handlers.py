"""Registers every STS operation podid implements (imported by the gateway at start-up).

Add an operation by writing ``podid/sts/<operation>.py`` with an ``@handler("sts", ...)`` function
and importing it here.
"""

from __future__ import annotations

from podid.sts import assume_role, assume_role_with_web_identity, get_caller_identity

#: The STS operation modules (each registers its handler on import).
OPERATION_MODULES = (get_caller_identity, assume_role, assume_role_with_web_identity)

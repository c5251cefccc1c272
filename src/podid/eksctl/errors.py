"""The one error eksctl commands raise: printed as ``Error: MESSAGE`` with exit status 1."""

from __future__ import annotations


class EksctlError(Exception):
    """A failed eksctl command; ``str(err)`` is eksctl's message."""

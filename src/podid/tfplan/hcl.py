"""Terraform files to plain Python values: python-hcl2 with quotes stripped and heredocs resolved,
so a literal is a ``str``/``int``/``bool``/``list``/``dict`` and an expression is a ``"${...}"`` string
(evaluated by :mod:`podid.tfplan.expressions`). Blocks come as lists of dicts, as python-hcl2 gives
them; the ``__is_block__`` markers are dropped."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import hcl2

OPTIONS = hcl2.SerializationOptions(strip_string_quotes=True, with_comments=False, explicit_blocks=True,
                                    preserve_heredocs=False)


class HclError(ValueError):
    """A file that is not valid HCL (the message names the file and python-hcl2's reason)."""


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def load(text: str, name: str = "main.tf") -> dict[str, Any]:
    """One file's top-level blocks (``resource``, ``data``, ``variable``, ``locals``, ...)."""
    try:
        return _clean(hcl2.loads(text, serialization_options=OPTIONS))  # type: ignore[no-any-return]
    except Exception as e:  # python-hcl2 raises lark's exceptions (several classes)
        reason = str(e).strip()
        raise HclError(f"{name}: {reason.splitlines()[0] if reason else type(e).__name__}") from e


def value(expression: str) -> Any:
    """The value of one HCL expression's text (``{a = 1}``, ``["x", y]``): literals as Python, nested
    expressions as ``"${...}"`` strings."""
    return load(f"v = {expression}\n", "<expression>")["v"]


def labelled(blocks: list[Mapping[str, Any]] | None, depth: int) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Flatten python-hcl2's nesting of labelled blocks: ``resource "T" "N" {}`` is
    ``[{T: {N: body}}]`` -> ``((T, N), body)``."""

    def walk(node: Any, labels: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
        if len(labels) == depth:
            yield labels, node
            return
        if isinstance(node, dict):
            for key, inner in node.items():
                yield from walk(inner, (*labels, key))

    for block in blocks or []:
        yield from walk(block, ())

"""JSON with source positions.

Owns a small strict JSON reader that returns the decoded value together with the (line, column)
of every value, keyed by its path (`("Statement", 0, "Condition")`). Only standard JSON is accepted
(no NaN/Infinity, no trailing commas); duplicate object keys are rejected because the meaning of a
policy with two `Effect`s is ambiguous. Errors are `JsonError` with the offending position.
"""

from __future__ import annotations

import bisect
import re
from json.decoder import JSONDecodeError
from json.decoder import scanstring as _scanstring  # type: ignore[attr-defined]
from typing import Any

Path = tuple[str | int, ...]

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_MAX_DEPTH = 100


class JsonError(ValueError):
    """Invalid JSON text; `line`/`column` are 1-based."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"{message} at line {line} column {column}")
        self.line = line
        self.column = column


class Positions:
    """Maps value paths to 1-based (line, column) in the source text."""

    __slots__ = ("_offsets", "_line_starts")

    def __init__(self, text: str, offsets: dict[Path, int]) -> None:
        self._offsets = offsets
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def at(self, path: Path) -> tuple[int, int] | None:
        """Position of the value at `path`, or of its nearest known ancestor."""
        p = path
        while True:
            off = self._offsets.get(p)
            if off is not None:
                return self._line_col(off)
            if not p:
                return None
            p = p[:-1]

    def _line_col(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self._line_starts, offset) - 1
        return i + 1, offset - self._line_starts[i] + 1


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.offsets: dict[Path, int] = {}

    def fail(self, message: str, pos: int) -> JsonError:
        line = self.text.count("\n", 0, pos) + 1
        col = pos - (self.text.rfind("\n", 0, pos) + 1) + 1
        return JsonError(message, line, col)

    def ws(self, pos: int) -> int:
        m = _WS.match(self.text, pos)
        return m.end() if m else pos

    def value(self, pos: int, path: Path, depth: int) -> tuple[Any, int]:
        text = self.text
        pos = self.ws(pos)
        if pos >= len(text):
            raise self.fail("Expecting value", pos)
        self.offsets[path] = pos
        ch = text[pos]
        if ch == "{":
            return self.obj(pos + 1, path, depth + 1)
        if ch == "[":
            return self.arr(pos + 1, path, depth + 1)
        if ch == '"':
            return self.string(pos)
        if text.startswith("true", pos):
            return True, pos + 4
        if text.startswith("false", pos):
            return False, pos + 5
        if text.startswith("null", pos):
            return None, pos + 4
        m = _NUMBER.match(text, pos)
        if m:
            frac, exp = m.group(1), m.group(2)
            num: int | float = float(m.group()) if (frac or exp) else int(m.group())
            return num, m.end()
        raise self.fail("Expecting value", pos)

    def string(self, pos: int) -> tuple[str, int]:
        s: str
        end: int
        try:
            s, end = _scanstring(self.text, pos + 1, True)
        except JSONDecodeError as e:
            raise self.fail(e.msg, e.pos) from None
        return s, end

    def obj(self, pos: int, path: Path, depth: int) -> tuple[dict[str, Any], int]:
        if depth > _MAX_DEPTH:
            raise self.fail("Nesting too deep", pos)
        text = self.text
        out: dict[str, Any] = {}
        pos = self.ws(pos)
        if text.startswith("}", pos):
            return out, pos + 1
        while True:
            pos = self.ws(pos)
            if not text.startswith('"', pos):
                raise self.fail("Expecting property name enclosed in double quotes", pos)
            key, pos = self.string(pos)
            if key in out:
                raise self.fail(f"Duplicate key {key!r}", pos)
            pos = self.ws(pos)
            if not text.startswith(":", pos):
                raise self.fail("Expecting ':' delimiter", pos)
            val, pos = self.value(pos + 1, (*path, key), depth)
            out[key] = val
            pos = self.ws(pos)
            if text.startswith(",", pos):
                pos += 1
                continue
            if text.startswith("}", pos):
                return out, pos + 1
            raise self.fail("Expecting ',' delimiter", pos)

    def arr(self, pos: int, path: Path, depth: int) -> tuple[list[Any], int]:
        if depth > _MAX_DEPTH:
            raise self.fail("Nesting too deep", pos)
        text = self.text
        out: list[Any] = []
        pos = self.ws(pos)
        if text.startswith("]", pos):
            return out, pos + 1
        while True:
            val, pos = self.value(pos, (*path, len(out)), depth)
            out.append(val)
            pos = self.ws(pos)
            if text.startswith(",", pos):
                pos += 1
                continue
            if text.startswith("]", pos):
                return out, pos + 1
            raise self.fail("Expecting ',' delimiter", pos)


def loads(text: str) -> tuple[Any, Positions]:
    """Decode `text`; return the value and the positions of all its parts. Raises JsonError."""
    reader = _Reader(text)
    value, pos = reader.value(0, (), 0)
    pos = reader.ws(pos)
    if pos != len(text):
        raise reader.fail("Extra data", pos)
    return value, Positions(text, reader.offsets)

"""`WireRequest`: one HTTP request exactly as received, shared by protocol, auth and gateway.

The path is kept undecoded (``raw_path``) because SigV4 canonicalisation depends on the bytes the
client sent; ``query`` is the raw query string without ``?``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote


@dataclass
class WireRequest:
    """An HTTP request: method, raw path, raw query, headers (ordered, repeatable), body."""

    method: str
    raw_path: str
    query: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    scheme: str = "http"
    client_ip: str = "127.0.0.1"

    def header(self, name: str) -> str | None:
        """First value of header ``name`` (case-insensitive), or None."""
        low = name.lower()
        for key, value in self.headers:
            if key.lower() == low:
                return value
        return None

    def header_values(self, name: str) -> list[str]:
        """Every value of header ``name`` (case-insensitive), in order."""
        low = name.lower()
        return [v for k, v in self.headers if k.lower() == low]

    @property
    def path(self) -> str:
        """The decoded path."""
        return unquote(self.raw_path)

    @property
    def host(self) -> str:
        return self.header("host") or ""

    def query_params(self) -> dict[str, str]:
        """Query parameters (first value wins), decoded."""
        out: dict[str, str] = {}
        for key, value in parse_qsl(self.query, keep_blank_values=True):
            out.setdefault(key, value)
        return out

    def form_params(self) -> dict[str, str]:
        """URL-encoded form body parameters (query protocol), decoded; {} for other bodies."""
        ctype = (self.header("content-type") or "").lower()
        if self.method != "POST" or (ctype and "x-www-form-urlencoded" not in ctype):
            return {}
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError:
            return {}
        out: dict[str, str] = {}
        for key, value in parse_qsl(text, keep_blank_values=True):
            out.setdefault(key, value)
        return out


_S3_VHOST = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9.\-]{1,62})\.s3(?:[.\-][a-z0-9\-]+)*\.(?:localhost|"
                       r"amazonaws\.com|localhost\.localstack\.cloud)(?::\d+)?$")


def s3_path_style(host: str | None, path: str) -> str:
    """Rewrite a virtual-hosted S3 path (``bkt.s3.localhost/key``) to path style (``/bkt/key``)."""
    if not host:
        return path
    m = _S3_VHOST.match(host.lower())
    if not m:
        return path
    return f"/{m.group('bucket')}{path if path.startswith('/') else '/' + path}"

"""Headless Debian chromium driven over the Chrome DevTools Protocol (websocket-client).

    with open_page(Path("report.html")) as page:
        page.evaluate("document.title")          # -> the value (returnByValue)

The browser runs `--headless --no-sandbox` with a throw-away profile, no network use (file://
pages only) and remote debugging on a loopback port chosen by chromium (read back from
DevToolsActivePort). Every wait is bounded. `require_chromium()` fails the test with the install
hint when the binary is missing (`make test` installs it with apt-get).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websocket

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def require_chromium() -> str:
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        "headless chromium is required for the HTML report tests: "
        "`apt-get install -y chromium` (make test does it)"
    )


class Page:
    """One page target: `evaluate(expr)` runs JavaScript and returns its value."""

    def __init__(self, ws: websocket.WebSocket) -> None:
        self.ws = ws
        self._ids = itertools.count(1)

    def call(self, method: str, timeout: float = 20, **params: Any) -> dict[str, Any]:
        msg_id = next(self._ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.ws.settimeout(max(deadline - time.monotonic(), 0.1))
            reply = json.loads(self.ws.recv())
            if reply.get("id") == msg_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))
        raise TimeoutError(method)

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 15) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise TimeoutError(expression)


@contextlib.contextmanager
def open_page(path: Path, timeout: float = 30) -> Iterator[Page]:
    """Start chromium, open `path` (file://) in its page, yield a Page, stop the browser."""
    binary = require_chromium()
    # chromium's helper processes may still write to the profile after the browser exits
    with tempfile.TemporaryDirectory(prefix="podid-chromium-", ignore_cleanup_errors=True) as profile:
        proc = subprocess.Popen(
            [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-extensions",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + timeout
            while not (port_file.exists() and port_file.read_text().strip()):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"chromium did not start (exit {proc.poll()})")
                time.sleep(0.1)
            port = int(port_file.read_text().split()[0])
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
                targets = json.load(resp)
            page_target = next(t for t in targets if t.get("type") == "page")
            ws = websocket.create_connection(
                page_target["webSocketDebuggerUrl"], timeout=10, suppress_origin=True
            )
            try:
                page = Page(ws)
                page.call("Page.enable")
                page.call("Runtime.enable")
                page.call("Page.navigate", url=path.resolve().as_uri())
                page.wait_for("document.readyState === 'complete'", timeout=timeout)
                yield page
            finally:
                ws.close()
        finally:
            _stop_group(proc)


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop the browser and its helper processes (one session), bounded."""
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue

"""eksctl's log lines (kris-nova/logger as eksctl configures it): ``2025-03-16 06:48:14 [ℹ]  text``.

They go to stderr, so that ``-o json`` / ``-o yaml`` output on stdout stays parseable."""

from __future__ import annotations

import sys
import time

ICONS = {"info": "ℹ", "warning": "!", "success": "✔", "critical": "✖"}


def log(level: str, message: str) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    print(f"{stamp} [{ICONS[level]}]  {message}", file=sys.stderr, flush=True)


def info(message: str) -> None:
    log("info", message)


def warning(message: str) -> None:
    log("warning", message)


def success(message: str) -> None:
    log("success", message)


def plan_warning() -> None:
    warning("no tasks were executed: (plan) mode; re-run with --approve to apply the changes")

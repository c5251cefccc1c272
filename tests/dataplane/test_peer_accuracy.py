"""The data plane's acceptance test: the shared peer-accuracy tool replayed against a real ``podid up``.

``tests/data/tools/peer_accuracy.py`` (the shared peer-accuracy tool, copied verbatim) replays every
replayable case of tests/data/iam-cases/cases.json and extra_cases.json through real boto3 calls
(AssumeRole with session tags and session policies, resource policies set through the services' own
APIs) and compares the outcome with the expected decision. Each file runs against its own server, both
at once (~25 s together).

No wrong allow is accepted. A wrong deny is accepted only where the tool's rewrite of the case (its
per-case renaming, :func:`support.peer_tool.tool_view`) changes what the policies say: the pure judge,
given the rewritten case, must deny it too, while it allows the case as written. Such denials are what
AWS itself would answer to the tool's calls; tests/dataplane/test_extra_cases_live.py replays those
cases with their real names. The one error accepted is ``x-variable-12``: its principal tag value
``*`` is refused by AssumeRole with AWS's ValidationError, as STS's model says (tagValueType).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from support.iam_cases import CASES_DIR, load_cases, run
from support.peer_tool import TOOL, load_tool, tool_view
from support.server import PodidServer, start_podid

FILES = ["cases.json", "extra_cases.json"]
#: The only accepted outcome of x-variable-12: STS refuses the session tag value ``*``.
STS_TAG_ERROR = (
    "ClientError: An error occurred (ValidationError) when calling the AssumeRole operation: "
    "1 validation error detected: Value '*' at 'tags.1.member.value' failed to satisfy constraint: "
    r"Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*"
)
ACCEPTED_ERRORS = {"x-variable-12": STS_TAG_ERROR}

pytestmark = [pytest.mark.timeout(600)]


def replay(srv: PodidServer, casefile: str, log: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(TOOL), "--endpoint", srv.url, "--admin-key", srv.access_key_id,
         "--admin-secret", srv.secret_access_key, "--target", "podid", "--log", str(log),
         str(CASES_DIR / casefile)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def judge_denies_tool_view(case: dict[str, Any], account: str, tool: Any) -> bool:
    """The case as written is allowed by the judge, the tool's rewrite of it is not."""
    return run(case).outcome == "allowed" and run(tool_view(tool, case, account)).outcome != "allowed"


def test_peer_accuracy(tmp_path: Path) -> None:
    results: dict[str, dict[str, Any]] = {}
    logs = {f: tmp_path / f"{f}.log" for f in FILES}
    with contextlib.ExitStack() as stack:
        servers = {f: stack.enter_context(start_podid(tmp_path / f"state-{f}")) for f in FILES}
        procs = {f: replay(servers[f], f, logs[f]) for f in FILES}
        for f, proc in procs.items():
            out, err = proc.communicate(timeout=540)
            assert proc.returncode == 0, err[-4000:]
            results[f] = json.loads(out.strip().splitlines()[-1])
        account = servers[FILES[0]].account_id
    print(json.dumps(results))
    tool = load_tool()
    for f in FILES:
        cases = {c["id"]: c for c in load_cases(f)}
        rows = [line.split("\t") for line in logs[f].read_text().splitlines()]
        assert len(rows) == len(cases) == results[f]["cases"]
        wrong = {r[0]: (r[3], r[4]) for r in rows if r[3] in ("WRONG_ALLOW", "WRONG_DENY", "ERROR")}
        assert results[f]["wrong_allow"] == 0, wrong
        for cid, (verdict, detail) in wrong.items():
            if verdict == "ERROR":
                assert detail == ACCEPTED_ERRORS.get(cid), (cid, detail)
            else:
                accepted = judge_denies_tool_view(cases[cid], account, tool)
                assert verdict == "WRONG_DENY" and accepted, (cid, detail)
        replayable = results[f]["cases"] - results[f]["skipped"]
        assert results[f]["agree"] == replayable - len(wrong) and results[f]["agree"] >= 120, results[f]

"""The data plane's acceptance test: the shared peer-accuracy tool replayed against a real ``podid up``.

``tests/data/tools/peer_accuracy.py`` (the shared peer-accuracy tool, copied verbatim) replays every
replayable case of tests/data/iam-cases through
real boto3 calls (AssumeRole with session tags and session policies, resource policies set through the
services' own APIs) and compares the outcome with the expected decision. It takes ~25 s, so it runs
in CI. Two cases cannot be reproduced by any endpoint because the tool's per-case renaming rewrites
the wildcard patterns they test (see :data:`TOOL_ARTIFACTS`); every other replayable case must agree.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from support.server import start_podid

DATA = Path(__file__).resolve().parents[1] / "data"
TOOL = DATA / "tools" / "peer_accuracy.py"
CASES = DATA / "iam-cases" / "cases.json"

#: Cases whose policies the tool's renaming breaks: ``role/a?p`` becomes ``role/a-TOK?p`` while the role
#: is renamed ``app-TOK``; ``secret:lab/db-??????`` becomes ``secret:lab/db--TOK??????`` while the secret
#: is ``lab/db-TOK-XXXXXX``. The rewritten policy does not match, so AWS itself would deny them.
TOOL_ARTIFACTS = {"cond-arn-06", "resource-svc-05"}

pytestmark = [pytest.mark.timeout(600)]


def test_peer_accuracy(tmp_path: Path) -> None:
    log = tmp_path / "peer_accuracy.log"
    with start_podid(tmp_path / "state") as srv:
        proc = subprocess.run(
            [sys.executable, str(TOOL), "--endpoint", srv.url, "--admin-key", srv.access_key_id,
             "--admin-secret", srv.secret_access_key, "--target", "podid", "--log", str(log), str(CASES)],
            capture_output=True, text=True, timeout=540, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    lines = [line.split("\t") for line in log.read_text().splitlines()]
    wrong = {f[0]: f[3] for f in lines if f[3] in ("WRONG_ALLOW", "WRONG_DENY", "ERROR")}
    print(json.dumps(result))
    assert result["errors"] == 0, wrong
    assert result["wrong_allow"] == 0, wrong
    assert set(wrong) <= TOOL_ARTIFACTS, wrong
    replayable = result["cases"] - result["skipped"]
    assert result["agree"] >= replayable - len(TOOL_ARTIFACTS)

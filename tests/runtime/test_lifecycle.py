"""Pod lifecycle through the real kubectl: phases, exit codes, logs, readiness, exec, deletion."""

from __future__ import annotations

import os
import time

from tests.runtime.conftest import RuntimeCluster, manifest

from podid.runtime import pod_exists

FAILING = """
apiVersion: v1
kind: Pod
metadata: {name: fails, namespace: life}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox:1.36
    command: ["sh", "-c", "echo hi; exit 3"]
"""

SLEEPER = """
apiVersion: v1
kind: Pod
metadata: {name: sleeper, namespace: life}
spec:
  terminationGracePeriodSeconds: 3
  containers:
  - name: main
    image: public.ecr.aws/docker/library/busybox:latest
    command: ["sleep", "3600"]
"""


def _cs(pod: dict, i: int = 0) -> dict:
    return pod["status"]["containerStatuses"][i]


def test_failed_pod_exit_code_and_logs(rtc: RuntimeCluster) -> None:
    rtc.kubectl("apply", "-f", "-", stdin=manifest("life", FAILING), check=True)
    pod = rtc.wait_phase("life", "fails", "Failed", "Succeeded")
    assert pod["status"]["phase"] == "Failed"
    term = _cs(pod)["state"]["terminated"]
    assert term["exitCode"] == 3 and term["reason"] == "Error"
    assert pod["spec"]["nodeName"] == "podid-node"
    logs = rtc.kubectl("logs", "-n", "life", "fails", check=True)
    assert logs.stdout == "hi\n"
    got = rtc.kubectl("get", "pod", "fails", "-n", "life", "-o",
                      "jsonpath={.status.containerStatuses[0].state.terminated.exitCode}", check=True)
    assert got.stdout == "3"


def test_running_pod_ready_exec_and_delete(rtc: RuntimeCluster) -> None:
    rtc.kubectl("apply", "-f", "-", stdin=manifest("life", SLEEPER), check=True)
    rtc.kubectl("wait", "-n", "life", "pod/sleeper", "--for=condition=Ready", "--timeout=20s", check=True)
    pod = rtc.pod("life", "sleeper")
    assert pod is not None and pod["status"]["phase"] == "Running"
    assert "running" in _cs(pod)["state"] and _cs(pod)["ready"] is True
    uid = pod["metadata"]["uid"]

    out = rtc.kubectl("exec", "-n", "life", "sleeper", "--", "sh", "-c", "echo $HOME; env", check=True).stdout
    home, *env_lines = out.splitlines()
    pod_dir = rtc.runtime.pod_dir("life", "sleeper", uid)
    assert home == str(pod_dir / "home")
    env = dict(line.split("=", 1) for line in env_lines if "=" in line)
    assert env["PATH"] == str(pod_dir / "bin")
    assert env["HOSTNAME"] == "sleeper"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9"
    assert "AWS_ACCESS_KEY_ID" not in env and "KUBECONFIG" not in env
    code = rtc.kubectl("exec", "-n", "life", "sleeper", "--", "sh", "-c", "echo out; echo err >&2; exit 7")
    assert code.returncode == 7 and code.stdout == "out\n" and "err" in code.stderr
    piped = rtc.kubectl("exec", "-i", "-n", "life", "sleeper", "--", "cat", stdin="via stdin\n", check=True)
    assert piped.stdout == "via stdin\n"
    missing = rtc.kubectl("exec", "-n", "life", "sleeper", "--", "no-such-tool")
    assert missing.returncode != 0 and "executable file not found" in missing.stderr

    pid = rtc.runtime.container_pids("life", "sleeper")["main"]
    os.kill(pid, 0)  # alive
    started = time.monotonic()
    rtc.kubectl("delete", "pod", "-n", "life", "sleeper", "--timeout=20s", check=True)
    assert time.monotonic() - started < 15
    assert not os.path.exists(f"/proc/{pid}")
    assert not pod_exists(rtc.store, "life", "sleeper", uid)
    assert not pod_dir.exists()


class FakeIO:
    """An ExecIO collecting output; stdin from a list."""

    def __init__(self, stdin: list[bytes]) -> None:
        self.stdin = list(stdin)
        self.out = b""
        self.err = b""

    async def read_stdin(self) -> bytes | None:
        return self.stdin.pop(0) if self.stdin else None

    async def write_stdout(self, data: bytes) -> None:
        self.out += data

    async def write_stderr(self, data: bytes) -> None:
        self.err += data


def test_exec_with_tty(rtc: RuntimeCluster) -> None:
    import asyncio

    rtc.kubectl("apply", "-f", "-", stdin=manifest("life", SLEEPER.replace("sleeper", "ttypod")), check=True)
    rtc.kubectl("wait", "-n", "life", "pod/ttypod", "--for=condition=Ready", "--timeout=20s", check=True)
    pod = rtc.pod("life", "ttypod")
    assert pod is not None
    io = FakeIO([])
    code = asyncio.run(rtc.runtime.exec(pod, "main", ["sh", "-c", "test -t 1 && echo tty; exit 4"], io, True))
    assert code == 4 and io.out == b"tty\r\n"
    rtc.kubectl("delete", "pod", "-n", "life", "ttypod", "--timeout=20s", check=True)

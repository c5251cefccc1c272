"""`make demo`: runs the most complete part of the seeds' lab that works so far, with real clients.

Part 1 — the judge: the seeds' S3 reader policy (one bucket, one readable prefix) simulated for
the lab's checks (allowed prefix, blocked prefix, other bucket, object reads), and the seeds'
review rules (lint) over the lab's policies and a deliberately over-broad one.

Part 2 — the control plane: `podid up --cluster lab` on loopback, then the seeds' IAM and EKS steps
with the real `aws` CLI exactly as the lab notes type them (create-addon, create-policy,
create-role, attach-role-policy, create-pod-identity-association, describe/list, get-policy-version,
describe-cluster's OIDC issuer), plus IAM's own policy simulator answering through the judge.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAB = ROOT / "examples" / "lab"
PODID = str(Path(sys.executable).parent / "podid")
BUCKET = "podid-lab-bucket"
ROLE_SESSION = "arn:aws:sts::111122223333:assumed-role/lab-s3-reader/s3-reader-test"


def banner(text: str) -> None:
    print(f"\n\033[1m== {text}\033[0m", flush=True)


def run(args: list[str], *, expect_ok: bool = True) -> int:
    print("$ podid " + " ".join(args[1:]), flush=True)
    rc = subprocess.call(args)
    if expect_ok and rc != 0:
        raise SystemExit(f"demo step failed (exit {rc}): {' '.join(args)}")
    return rc


def simulate(action: str, resource: str, *context: str) -> None:
    args = [PODID, "iam", "simulate", "--policy", str(LAB / "s3-reader-policy.json"),
            "--principal", ROLE_SESSION, "--action", action, "--resource", resource]
    for item in context:
        args += ["--context", item]
    run(args)


def part_judge() -> None:
    banner("Part 1: the seeds' S3 reader policy, judged like AWS")
    simulate("s3:ListBucket", f"arn:aws:s3:::{BUCKET}", "s3:prefix=allowed/")
    simulate("s3:ListBucket", f"arn:aws:s3:::{BUCKET}", "s3:prefix=blocked/")
    simulate("s3:GetObject", f"arn:aws:s3:::{BUCKET}/allowed/report.txt")
    simulate("s3:GetObject", f"arn:aws:s3:::{BUCKET}/blocked/secret.txt")
    simulate("s3:ListBucket", "arn:aws:s3:::another-teams-bucket", "s3:prefix=allowed/")
    banner("Review rules (lint): the lab's policies pass, an over-broad policy does not")
    run([PODID, "iam", "lint", str(LAB / "s3-reader-policy.json"), str(LAB / "pod-identity-trust.json")])
    rc = run([PODID, "iam", "lint", str(LAB / "overbroad-policy.json")], expect_ok=False)
    if rc == 0:
        raise SystemExit("lint accepted s3:* on * — the demo expected findings")
    print(f"(lint exit code {rc}: findings block the pipeline, as intended)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def podid_up(state: Path, *args: str) -> Iterator[Path]:
    """`podid up` in the background until DIR/env appears (bounded), stopped with SIGTERM."""
    port = free_port()
    cmd = [PODID, "up", "--state", str(state), "--port", str(port), *args]
    print("$ " + " ".join(cmd[1:]) + " &", flush=True)
    log = open(state.parent / "podid-up.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not (state / "env").exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise SystemExit("podid up did not start:\n" + (state.parent / "podid-up.log").read_text())
            time.sleep(0.1)
        yield state / "env"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def shell(env_file: Path, command: str, *, expect_ok: bool = True) -> str:
    """Run one lab command in bash with `source DIR/env`, echoing it and its output."""
    print(f"$ {command}", flush=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(["bash", "-c", f"source {shlex.quote(str(env_file))} && {command}"],
                          env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    out = (done.stdout + done.stderr).rstrip()
    if out:
        print(out, flush=True)
    if expect_ok and done.returncode != 0:
        raise SystemExit(f"demo step failed (exit {done.returncode}): {command}")
    return done.stdout


def part_control_plane(work: Path) -> None:
    banner("Part 2: podid up — the seeds' IAM and EKS steps with the real aws CLI")
    cluster, ns, sa = "lab", "lab", "s3-reader"
    role = f"{cluster}-{ns}-s3-reader"
    with podid_up(work / "state", "--cluster", cluster) as env:
        shell(env, "aws sts get-caller-identity")
        shell(env, f"aws eks create-addon --cluster-name {cluster} --addon-name eks-pod-identity-agent "
                   "--query addon.addonName --output text")
        shell(env, f"aws iam create-policy --policy-name {role} "
                   "--policy-document file://examples/lab/s3-reader-policy.json")
        shell(env, f"aws iam create-role --role-name {role} "
                   "--assume-role-policy-document file://examples/lab/pod-identity-trust.json "
                   "--query Role.Arn --output text")
        account = json.loads(shell(env, "aws sts get-caller-identity --output json"))["Account"]
        policy_arn = f"arn:aws:iam::{account}:policy/{role}"
        role_arn = f"arn:aws:iam::{account}:role/{role}"
        shell(env, f"aws iam attach-role-policy --role-name {role} --policy-arn {policy_arn}")
        shell(env, f"aws eks create-pod-identity-association --cluster-name {cluster} --namespace {ns} "
                   f"--service-account {sa} --role-arn {role_arn}")
        out = shell(env, f"aws eks list-pod-identity-associations --cluster-name {cluster} --output json")
        assoc = json.loads(out)["associations"][0]["associationId"]
        shell(env, f"aws eks describe-pod-identity-association --cluster-name {cluster} "
                   f"--association-id {assoc} --query association.[namespace,serviceAccount,roleArn]")
        shell(env, f"aws iam get-policy-version --policy-arn {policy_arn} --version-id v1")
        shell(env, f"aws eks describe-cluster --name {cluster} --query cluster.identity.oidc.issuer "
                   "--output text")
        shell(env, f"aws eks describe-addon --cluster-name {cluster} --addon-name eks-pod-identity-agent "
                   "--query addon.status --output text")
        banner("IAM's policy simulator, answered by the judge, for the lab's checks")
        for prefix in ("allowed/", "blocked/"):
            shell(env, f"aws iam simulate-principal-policy --policy-source-arn {role_arn} "
                       f"--action-names s3:ListBucket --resource-arns arn:aws:s3:::{BUCKET} "
                       f"--context-entries ContextKeyName=s3:prefix,ContextKeyValues={prefix},"
                       "ContextKeyType=string "
                       "--query 'EvaluationResults[0].[EvalActionName,EvalDecision]' --output text")
        banner("Least privilege at the API: the admin may create roles, the lab role's policy may not")
        shell(env, f"aws iam simulate-principal-policy --policy-source-arn {role_arn} "
                   "--action-names iam:CreateRole --query 'EvaluationResults[0].EvalDecision' --output text")


def main() -> int:
    part_judge()
    with tempfile.TemporaryDirectory(prefix="podid-demo-") as tmp:
        part_control_plane(Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

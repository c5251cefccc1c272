"""`make demo`: runs the most complete part of the seeds' lab that works so far, with real clients.

Part 1 — the judge: the seeds' S3 reader policy (one bucket, one readable prefix) simulated for
the lab's checks (allowed prefix, blocked prefix, other bucket, object reads), and the seeds'
review rules (lint) over the lab's policies and a deliberately over-broad one.

Part 2 — the control plane: `podid up --cluster lab` on loopback, then the seeds' IAM and EKS steps
with the real `aws` CLI exactly as the lab notes type them (create-addon, create-policy,
create-role, attach-role-policy, create-pod-identity-association, describe/list, get-policy-version,
describe-cluster's OIDC issuer), plus IAM's own policy simulator answering through the judge.

Part 3 — the pods: the same `podid up` serves the cluster's Kubernetes API; the real `kubectl`
applies the seeds' ServiceAccount and pod manifests (examples/lab/*.yaml), the pods run as local
processes with the identity EKS would give them, and `kubectl exec ... aws ...` proves the seeds'
checklist: the pod is its own role, the allowed prefix lists, the blocked prefix and the default
ServiceAccount get nothing. Then the IRSA variant (seeds 003/004): an annotated ServiceAccount and
AssumeRoleWithWebIdentity against the cluster's OIDC issuer.

Part 4 — the seeds' attack scenario: with `podid up --node-role`, a pod without Pod Identity falls
back to the node's role through IMDS; an over-broad node role hands every pod every prefix, and a
locked-down one leaves the default ServiceAccount with AccessDenied.
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


def expect_denied(env: Path, command: str, needle: str) -> None:
    """Run a lab command that must fail, and fail the demo unless its output names ``needle``."""
    print(f"$ {command}", flush=True)
    plain = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    plain["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{plain.get('PATH', '')}"
    done = subprocess.run(["bash", "-c", f"source {shlex.quote(str(env))} && {command}"], env=plain,
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    out = (done.stdout + done.stderr).rstrip()
    print(out, flush=True)
    if done.returncode == 0 or needle not in out:
        raise SystemExit(f"demo expected a refusal ({needle}) from: {command}")
    print(f"(refused as expected, exit {done.returncode})", flush=True)


def wait_for(env: Path, command: str, wanted: str, attempts: int = 60) -> None:
    """Poll a read-only command (bounded) until its output is ``wanted``."""
    out = ""
    for _ in range(attempts):
        out = shell_quiet(env, command)
        if out.strip() == wanted:
            print(f"$ {command}\n{out.strip()}", flush=True)
            return
        time.sleep(0.5)
    raise SystemExit(f"demo gave up waiting for {wanted!r} from: {command} (last: {out.strip()!r})")


def shell_quiet(env: Path, command: str) -> str:
    plain = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    plain["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{plain.get('PATH', '')}"
    done = subprocess.run(["bash", "-c", f"source {shlex.quote(str(env))} && {command}"], env=plain,
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    return done.stdout


def part_pods(env: Path, cluster: str, ns: str) -> None:
    banner("Part 4: the seeds' pods — kubectl, the pod runtime and the node agent")
    wait_for(env, f"aws eks describe-addon --cluster-name {cluster} --addon-name eks-pod-identity-agent "
                  "--query addon.status --output text", "ACTIVE")
    shell(env, "kubectl -n kube-system get daemonset eks-pod-identity-agent")
    shell(env, "kubectl apply -f examples/lab/s3-reader-sa.yaml")
    banner("The lab's bucket: one readable prefix, one blocked prefix (written by the admin)")
    shell(env, f"aws s3 mb s3://{BUCKET}")
    shell(env, f"printf 'quarterly numbers' | aws s3 cp - s3://{BUCKET}/allowed/report.txt")
    shell(env, f"printf 'not for this pod' | aws s3 cp - s3://{BUCKET}/blocked/secret.txt")
    banner("Step 7: the test pods")
    shell(env, "kubectl apply -f examples/lab/s3-reader-test.yaml -f examples/lab/s3-deny-test.yaml")
    shell(env, f"kubectl -n {ns} wait --for=condition=Ready pod/s3-reader-test pod/s3-deny-test "
               "--timeout=60s")
    shell(env, f"kubectl get pod s3-reader-test -n {ns}")
    shell(env, f"kubectl -n {ns} get pod s3-reader-test -o jsonpath="
               "'{range .spec.containers[0].env[*]}{.name}={.value}{\"\\n\"}{end}'")
    banner("Step 8: the pod is its own IAM role; the allowed prefix lists, the blocked one does not")
    out = shell(env, f"kubectl exec -n {ns} s3-reader-test -- aws sts get-caller-identity")
    if f"assumed-role/{cluster}-{ns}-s3-reader/eks-{cluster}-s3-reader-test-" not in out:
        raise SystemExit("the pod did not get the lab role")
    shell(env, f"kubectl exec -n {ns} s3-reader-test -- aws s3 ls s3://{BUCKET}/allowed/")
    shell(env, f"kubectl exec -n {ns} s3-reader-test -- aws s3 cp s3://{BUCKET}/allowed/report.txt -")
    expect_denied(env, f"kubectl exec -n {ns} s3-reader-test -- aws s3 ls s3://{BUCKET}/blocked/",
                  "AccessDenied")
    expect_denied(env, f"kubectl exec -n {ns} s3-reader-test -- aws s3 cp s3://{BUCKET}/blocked/secret.txt -",
                  "403")
    banner("Step 9: the default ServiceAccount gets no AWS identity at all")
    expect_denied(env, f"kubectl exec -n {ns} s3-deny-test -- aws sts get-caller-identity",
                  "Unable to locate credentials")
    expect_denied(env, f"kubectl exec -n {ns} s3-deny-test -- aws s3 ls s3://{BUCKET}/allowed/",
                  "Unable to locate credentials")


def part_irsa(env: Path, cluster: str, ns: str) -> None:
    banner("IRSA (seeds 003/004): an annotated ServiceAccount and the cluster's OIDC issuer")
    issuer = shell(env, f"aws eks describe-cluster --name {cluster} --query cluster.identity.oidc.issuer "
                        "--output text").strip()
    host_path = issuer.split("://", 1)[1]
    shell(env, f"aws iam create-open-id-connect-provider --url {issuer} "
               "--client-id-list sts.amazonaws.com "
               "--thumbprint-list 9e99a48a9960b14926bb7f3b02e22da2b0ab7280")
    account = json.loads(shell_quiet(env, "aws sts get-caller-identity --output json"))["Account"]
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": f"arn:aws:iam::{account}:oidc-provider/{host_path}"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{host_path}:sub": f"system:serviceaccount:{ns}:my-sa",
                                       f"{host_path}:aud": "sts.amazonaws.com"}}}]}
    print(json.dumps(trust, indent=2), flush=True)
    shell(env, f"aws iam create-role --role-name {cluster}-irsa-s3-reader --assume-role-policy-document "
               f"{shlex.quote(json.dumps(trust))} --query Role.Arn --output text")
    shell(env, f"aws iam attach-role-policy --role-name {cluster}-irsa-s3-reader "
               f"--policy-arn arn:aws:iam::{account}:policy/{cluster}-{ns}-s3-reader")
    shell(env, f"kubectl -n {ns} create sa my-sa")
    shell(env, f"kubectl -n {ns} annotate sa my-sa "
               f"eks.amazonaws.com/role-arn=arn:aws:iam::{account}:role/{cluster}-irsa-s3-reader")
    shell(env, f"kubectl -n {ns} run eks-iam-test3 --image=amazon/aws-cli:latest "
               "--overrides='{\"spec\":{\"serviceAccountName\":\"my-sa\"}}' --command -- sleep 36000")
    shell(env, f"kubectl -n {ns} wait --for=condition=Ready pod/eks-iam-test3 --timeout=60s")
    shell(env, f"kubectl -n {ns} get pod eks-iam-test3 -o jsonpath="
               "'{range .spec.containers[0].env[*]}{.name}={.value}{\"\\n\"}{end}'")
    out = shell(env, f"kubectl -n {ns} exec eks-iam-test3 -- aws sts get-caller-identity --query Arn")
    if f"assumed-role/{cluster}-irsa-s3-reader/" not in out:
        raise SystemExit("the IRSA pod did not get its role")
    shell(env, f"kubectl -n {ns} exec eks-iam-test3 -- aws s3 ls s3://{BUCKET}/allowed/")
    expect_denied(env, f"kubectl -n {ns} exec eks-iam-test3 -- aws s3 ls s3://{BUCKET}/blocked/",
                  "AccessDenied")


def part_blast_radius(work: Path) -> None:
    banner("Part 2: the blast radius of an over-broad node role (podid up --node-role)")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    s3_read_all = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    node_args = ("--cluster", "lab", "--kube-port", "0", "--node-role", "lab-node")
    with podid_up(work / "state-node", *node_args) as env:
        shell(env, "aws iam create-role --role-name lab-node --assume-role-policy-document "
                   f"{shlex.quote(trust)} --query Role.Arn --output text")
        shell(env, f"aws iam attach-role-policy --role-name lab-node --policy-arn {s3_read_all}")
        shell(env, f"aws s3 mb s3://{BUCKET}")
        shell(env, f"printf 'not for this pod' | aws s3 cp - s3://{BUCKET}/blocked/secret.txt")
        shell(env, "kubectl create namespace lab")
        shell(env, "kubectl apply -f examples/lab/s3-deny-test.yaml")
        shell(env, "kubectl -n lab wait --for=condition=Ready pod/s3-deny-test --timeout=60s")
        out = shell(env, "kubectl exec -n lab s3-deny-test -- aws sts get-caller-identity --query Arn")
        if "assumed-role/lab-node/" not in out:
            raise SystemExit("the pod did not fall back to the node role")
        shell(env, f"kubectl exec -n lab s3-deny-test -- aws s3 cp s3://{BUCKET}/blocked/secret.txt -")
        print("(the default ServiceAccount read another team's prefix: the node role is the blast radius)",
              flush=True)
        shell(env, f"aws iam detach-role-policy --role-name lab-node --policy-arn {s3_read_all}")
        expect_denied(env, f"kubectl exec -n lab s3-deny-test -- aws s3 ls s3://{BUCKET}/blocked/",
                      "AccessDenied")


def part_control_plane(work: Path) -> None:
    banner("Part 3: podid up — the seeds' IAM and EKS steps with the real aws CLI")
    cluster, ns, sa = "lab", "lab", "s3-reader"
    role = f"{cluster}-{ns}-s3-reader"
    with podid_up(work / "state", "--cluster", cluster, "--kube-port", "0") as env:
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
        part_pods(env, cluster, ns)
        part_irsa(env, cluster, ns)
        banner("Seed 000's checklist as one command: podid verify (probe pods of the ServiceAccount and "
               "of the namespace's default ServiceAccount, the judge on every policy involved)")
        shell(env, f"podid verify --cluster {cluster} --namespace {ns} --service-account {sa} "
                   f"--bucket {BUCKET} --allowed-prefix allowed/ --blocked-prefix blocked/")


def main() -> int:
    part_judge()
    with tempfile.TemporaryDirectory(prefix="podid-demo-") as tmp:
        part_blast_radius(Path(tmp))
        part_control_plane(Path(tmp))   # last: it ends with `podid verify` on the lab it built
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

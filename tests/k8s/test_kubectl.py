"""The cluster API driven by the real kubectl (v1.32) as a subprocess."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from tests.k8s.conftest import KUBECTL, Cluster

SEEDS = """
apiVersion: v1
kind: Namespace
metadata:
  name: "[namespace명]"
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: s3-reader
  namespace: "[namespace명]"
automountServiceAccountToken: false
---
apiVersion: v1
kind: Pod
metadata:
  name: s3-reader-test
  namespace: "[namespace명]"
spec:
  serviceAccountName: s3-reader
  automountServiceAccountToken: false
  containers:
  - name: awscli
    image: public.ecr.aws/aws-cli/aws-cli:2
    command: ["sleep", "3600"]
---
apiVersion: v1
kind: Pod
metadata:
  name: s3-deny-test
  namespace: "[namespace명]"
spec:
  serviceAccountName: default
  automountServiceAccountToken: false
  containers:
  - name: awscli
    image: public.ecr.aws/aws-cli/aws-cli:2
    command: ["sleep", "3600"]
"""
SEED_004 = """
apiVersion: v1
kind: Pod
metadata:
  name: eks-iam-test3
  namespace: seeds
spec:
  serviceAccountName: my-sa
  containers:
    - name: my-aws-cli
      image: amazon/aws-cli:latest
      command: ['sleep', '36000']
  restartPolicy: Never
  terminationGracePeriodSeconds: 0
"""


def seeds(ns: str) -> str:
    return SEEDS.replace("[namespace명]", ns)


def test_discovery_and_version(cluster: Cluster) -> None:
    out = cluster.kubectl("api-resources", check=True).stdout
    for line in ("pods", "serviceaccounts", "daemonsets", "tokenreviews"):
        assert line in out
    assert "sa " in out and "ServiceAccount" in out
    version = json.loads(cluster.kubectl("version", "-o", "json", check=True).stdout)
    assert version["serverVersion"]["minor"] == "32"


def test_auth_whoami(cluster: Cluster) -> None:
    out = cluster.kubectl("auth", "whoami", check=True).stdout
    assert "podid-admin" in out and "system:masters" in out
    review = json.loads(cluster.kubectl("auth", "whoami", "-o", "json", check=True).stdout)
    assert review["kind"] == "SelfSubjectReview"
    assert review["status"]["userInfo"]["username"] == "podid-admin"


def test_apply_seeds_twice_is_unchanged(cluster: Cluster) -> None:
    first = cluster.kubectl("apply", "-f", "-", stdin=seeds("team-a"), check=True)
    assert "serviceaccount/s3-reader created" in first.stdout
    assert "pod/s3-reader-test created" in first.stdout
    assert first.stderr == ""
    second = cluster.kubectl("apply", "-f", "-", stdin=seeds("team-a"), check=True)
    assert second.stdout.splitlines() == [
        "namespace/team-a unchanged",
        "serviceaccount/s3-reader unchanged",
        "pod/s3-reader-test unchanged",
        "pod/s3-deny-test unchanged",
    ]
    sa = json.loads(
        cluster.kubectl("get", "sa", "s3-reader", "-n", "team-a", "-o", "json", check=True).stdout
    )
    assert sa["automountServiceAccountToken"] is False
    assert sa["metadata"]["uid"] and sa["metadata"]["resourceVersion"] and sa["metadata"]["creationTimestamp"]
    pod = json.loads(cluster.kubectl("get", "pod", "s3-reader-test", "-n", "team-a", "-o", "json").stdout)
    assert pod["spec"]["serviceAccountName"] == "s3-reader"
    assert "volumes" not in pod["spec"]  # automount false: no kube-api-access volume


def test_table_output(cluster: Cluster) -> None:
    cluster.kubectl("apply", "-f", "-", stdin=seeds("tables"), check=True)
    out = cluster.kubectl("get", "pods", "-n", "tables", check=True).stdout.splitlines()
    assert out[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert out[1].split()[:4] == ["s3-deny-test", "1/1", "Running", "0"]
    wide = cluster.kubectl("get", "pods", "-n", "tables", "-o", "wide", check=True).stdout
    assert "NODE" in wide and "podid-node" in wide
    sa = cluster.kubectl("get", "sa", "-n", "tables", check=True).stdout.splitlines()
    assert sa[0].split() == ["NAME", "SECRETS", "AGE"]
    assert [line.split()[0] for line in sa[1:]] == ["default", "s3-reader"]
    yaml_out = cluster.kubectl(
        "get", "pod", "s3-reader-test", "-n", "tables", "-o", "yaml", check=True
    ).stdout
    assert "image: public.ecr.aws/aws-cli/aws-cli:2" in yaml_out


def test_describe(cluster: Cluster) -> None:
    cluster.kubectl("apply", "-f", "-", stdin=seeds("desc"), check=True)
    out = cluster.kubectl("describe", "sa", "s3-reader", "-n", "desc", check=True).stdout
    assert "Name:                s3-reader" in out and "Namespace:           desc" in out
    pod = cluster.kubectl("describe", "pod", "s3-reader-test", "-n", "desc", check=True).stdout
    assert "Service Account:  s3-reader" in pod and "Scheduled" in pod


def test_errors_as_kubectl_prints_them(cluster: Cluster) -> None:
    nf = cluster.kubectl("get", "pod", "nope")
    assert nf.returncode == 1 and nf.stderr.strip() == 'Error from server (NotFound): pods "nope" not found'
    cluster.kubectl("create", "namespace", "dup", check=True)
    ae = cluster.kubectl("create", "namespace", "dup")
    assert ae.stderr.strip() == 'Error from server (AlreadyExists): namespaces "dup" already exists'
    bad = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  containers: []\n"
    inv = cluster.kubectl("apply", "-f", "-", stdin=bad)
    assert inv.returncode == 1
    assert inv.stderr.strip() == 'The Pod "bad" is invalid: spec.containers: Required value'
    unknown = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad2\nspec:\n  containers:\n  - name: a\n"
        "    image: x\n    bogus: 1\n"
    )
    uf = cluster.kubectl("apply", "-f", "-", stdin=unknown)
    assert 'strict decoding error: unknown field "spec.containers[0].bogus"' in uf.stderr
    name = cluster.kubectl("run", "Bad_Name", "--image=x")
    assert name.stderr.startswith(
        'The Pod "Bad_Name" is invalid: \n* metadata.name: Invalid value: "Bad_Name"'
    )
    for pod in ("bad", "bad2", "Bad_Name"):
        assert cluster.kubectl("get", "pod", pod).returncode == 1  # nothing stored
    missing_sa = cluster.kubectl(
        "run", "nosa", "--image=x", "--overrides", '{"spec":{"serviceAccountName":"ghost"}}'
    )
    assert (
        'error looking up service account default/ghost: serviceaccount "ghost" not found'
        in missing_sa.stderr
    )


def test_unauthenticated_refused(cluster: Cluster, tmp_path: Path) -> None:
    cfg = cluster.kubeconfig.read_text().replace("test-admin-token", "wrong")
    bad = tmp_path / "kubeconfig"
    bad.write_text(cfg)
    proc = subprocess.run(
        [KUBECTL, "--kubeconfig", str(bad), "get", "pods"],
        capture_output=True,
        text=True,
        env={"HOME": str(tmp_path)},
        timeout=20,
    )
    assert proc.returncode == 1
    assert (
        "error: You must be logged in to the server "
        "(the server has asked for the client to provide credentials)" in proc.stderr
    )


def test_label_selectors_and_field_selectors(cluster: Cluster) -> None:
    cluster.kubectl("create", "namespace", "sel", check=True)
    for name, tier in (("a", "web"), ("b", "db"), ("c", "web")):
        cluster.kubectl("run", name, "-n", "sel", "--image=busybox", f"--labels=tier={tier}", check=True)
    names = cluster.kubectl(
        "get", "pods", "-n", "sel", "-l", "tier=web", "-o", "name", check=True
    ).stdout.split()
    assert names == ["pod/a", "pod/c"]
    names = cluster.kubectl("get", "pods", "-n", "sel", "-l", "tier notin (web)", "-o", "name").stdout.split()
    assert names == ["pod/b"]
    names = cluster.kubectl(
        "get",
        "pods",
        "-A",
        "--field-selector",
        "metadata.name=b,status.phase=Running",
        "-o",
        "name",
        check=True,
    ).stdout.split()
    assert names == ["pod/b"]
    sa = cluster.kubectl(
        "get",
        "pods",
        "-n",
        "sel",
        "--field-selector",
        "spec.serviceAccountName=default",
        "-o",
        "name",
        check=True,
    ).stdout.split()
    assert len(sa) == 3


def test_patch_json_merge_strategic(cluster: Cluster) -> None:
    cluster.kubectl("apply", "-f", "-", stdin=seeds("patch"), check=True)
    ns = ["-n", "patch"]
    cluster.kubectl(
        "patch",
        "sa",
        "s3-reader",
        *ns,
        "--type=json",
        "-p",
        '[{"op":"add","path":"/metadata/labels","value":{"a":"b"}}]',
        check=True,
    )
    cluster.kubectl(
        "patch",
        "sa",
        "s3-reader",
        *ns,
        "--type=merge",
        "-p",
        '{"metadata":{"annotations":{"eks.amazonaws.com/role-arn":"arn:aws:iam::1:role/r"}}}',
        check=True,
    )
    sa = json.loads(cluster.kubectl("get", "sa", "s3-reader", *ns, "-o", "json").stdout)
    assert sa["metadata"]["labels"] == {"a": "b"}
    assert sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == "arn:aws:iam::1:role/r"
    out = cluster.kubectl(
        "patch",
        "pod",
        "s3-reader-test",
        *ns,
        "-p",
        '{"spec":{"containers":[{"name":"awscli","image":"busybox:1.36"}]}}',
        check=True,
    )
    assert out.stdout.strip() == "pod/s3-reader-test patched"
    pod = json.loads(cluster.kubectl("get", "pod", "s3-reader-test", *ns, "-o", "json").stdout)
    [container] = pod["spec"]["containers"]
    assert container["image"] == "busybox:1.36" and container["command"] == ["sleep", "3600"]
    immut = cluster.kubectl(
        "patch",
        "pod",
        "s3-reader-test",
        *ns,
        "-p",
        '{"spec":{"containers":[{"name":"awscli","args":["x"]}]}}',
    )
    assert immut.returncode == 1
    assert (
        'The Pod "s3-reader-test" is invalid: spec: Forbidden: pod updates may not change fields other than '
        "`spec.containers[*].image`" in immut.stderr
    )


def test_conflict_on_stale_resource_version(cluster: Cluster, tmp_path: Path) -> None:
    cluster.kubectl("create", "namespace", "conflict", check=True)
    cluster.kubectl("create", "sa", "x", "-n", "conflict", check=True)
    sa = json.loads(cluster.kubectl("get", "sa", "x", "-n", "conflict", "-o", "json").stdout)
    cluster.kubectl("label", "sa", "x", "-n", "conflict", "v=1", check=True)
    sa["metadata"]["labels"] = {"v": "2"}
    path = tmp_path / "sa.json"
    path.write_text(json.dumps(sa))
    proc = cluster.kubectl("replace", "-f", str(path))
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        f'Error from server (Conflict): error when replacing "{path}": Operation cannot be fulfilled on '
        'serviceaccounts "x": the object has been modified; please apply your changes to the latest '
        "version and try again"
    )


def test_server_side_apply(cluster: Cluster) -> None:
    cluster.kubectl("create", "namespace", "ssa", check=True)
    cm = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: ssa\ndata:\n  a: '1'\n  b: '2'\n"
    )
    out = cluster.kubectl("apply", "--server-side", "-f", "-", stdin=cm, check=True)
    assert out.stdout.strip() == "configmap/c serverside-applied"
    cm2 = cm.replace("  b: '2'\n", "")
    cluster.kubectl("apply", "--server-side", "-f", "-", stdin=cm2, check=True)
    data = json.loads(cluster.kubectl("get", "cm", "c", "-n", "ssa", "-o", "json").stdout)["data"]
    assert data == {"a": "1"}  # the field the manager stopped applying is removed
    other = cm2.replace("a: '1'", "a: '9'")
    conflict = cluster.kubectl("apply", "--server-side", "--field-manager=other", "-f", "-", stdin=other)
    assert conflict.returncode == 1
    assert 'conflict with "kubectl" using v1: .data.a' in conflict.stderr
    cluster.kubectl(
        "apply",
        "--server-side",
        "--field-manager=other",
        "--force-conflicts",
        "-f",
        "-",
        stdin=other,
        check=True,
    )
    assert json.loads(cluster.kubectl("get", "cm", "c", "-n", "ssa", "-o", "json").stdout)["data"] == {
        "a": "9"
    }


def test_watch_sees_creation(cluster: Cluster) -> None:
    cluster.kubectl("create", "namespace", "watch", check=True)
    env = {"HOME": str(cluster.home), "KUBECONFIG": str(cluster.kubeconfig)}
    watcher = subprocess.Popen(
        [KUBECTL, "get", "pods", "-n", "watch", "-w", "--request-timeout=4s", "-o", "name"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        time.sleep(1.0)
        cluster.kubectl("run", "watched", "-n", "watch", "--image=busybox", check=True)
        out, _ = watcher.communicate(timeout=15)
    finally:
        watcher.kill()
    assert "pod/watched" in out


def test_exec_streams_and_exit_codes(cluster: Cluster) -> None:
    cluster.kubectl("apply", "-f", "-", stdin=seeds("exec"), check=True)
    ok = cluster.kubectl("exec", "-n", "exec", "s3-reader-test", "--", "echo", "hello", check=True)
    assert ok.stdout == "hello\n"
    fail = cluster.kubectl(
        "exec", "-n", "exec", "s3-reader-test", "--", "sh", "-c", "echo out; echo err >&2; exit 3"
    )
    assert fail.returncode == 3
    assert fail.stdout == "out\n" and "err" in fail.stderr
    piped = cluster.kubectl("exec", "-i", "-n", "exec", "s3-reader-test", "--", "cat", stdin="via stdin\n")
    assert piped.stdout == "via stdin\n"


def test_delete(cluster: Cluster) -> None:
    cluster.kubectl("apply", "-f", "-", stdin=seeds("del"), check=True)
    out = cluster.kubectl("delete", "pod", "s3-deny-test", "-n", "del", check=True)
    assert out.stdout.strip() == 'pod "s3-deny-test" deleted'
    assert cluster.kubectl("get", "pod", "s3-deny-test", "-n", "del").returncode == 1
    out = cluster.kubectl("delete", "namespace", "del", check=True)
    assert cluster.kubectl("get", "sa", "s3-reader", "-n", "del").returncode == 1


def test_create_token_and_admission_hook(cluster: Cluster) -> None:
    cluster.kubectl("apply", "-f", "-", stdin=seeds("tok"), check=True)
    token = cluster.kubectl(
        "create", "token", "s3-reader", "-n", "tok", "--audience", "pods.eks.amazonaws.com", check=True
    ).stdout.strip()
    assert token.count(".") == 2
    from podid.k8s.tokens import OidcTokenIssuer  # noqa: F401  (issuer is podid.oidc's)

    pod = SEED_004.replace("namespace: seeds", "namespace: tok").replace("my-sa", "s3-reader")
    pod = pod.replace(
        "metadata:\n  name: eks-iam-test3",
        "metadata:\n  name: eks-iam-test3\n  annotations:\n    podid.test/inject: 'true'",
    )
    cluster.kubectl("apply", "-f", "-", stdin=pod, check=True)
    got = json.loads(cluster.kubectl("get", "pod", "eks-iam-test3", "-n", "tok", "-o", "json").stdout)
    assert {"name": "INJECTED", "value": "yes"} in got["spec"]["containers"][0]["env"]
    events = cluster.kubectl("describe", "pod", "eks-iam-test3", "-n", "tok", check=True).stdout
    assert "Injected" in events

"""`podid access-matrix` against a real `podid up --cluster lab`: the cells equal the judge's
decisions (recomputed here from the test's own policy documents) and what the data plane does
when the roles really call it; rows fold cells; `--against` shows added and removed allows."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.matrix.conftest import ABAC, BOUNDARY, BUCKET, READER, SESSION, WRITER, World

from podid.iam import Policy, PolicySet, Request, evaluate, parse_policy
from support.server import PODID

OBJ = f"arn:aws:s3:::{BUCKET}"


@pytest.fixture(scope="module")
def report(world: World) -> dict[str, Any]:
    return world.report()


def cell(report: dict[str, Any], sa: str, action: str, resource: str) -> dict[str, Any]:
    found = [
        c
        for c in report["cells"]
        if (c["serviceAccount"], c["action"], c["resource"]) == (sa, action, resource)
    ]
    assert len(found) == 1, (sa, action, resource, found)
    return found[0]


def test_identities_from_associations_and_irsa(report: dict[str, Any], world: World) -> None:
    idents = {i["serviceAccount"]: i for i in report["identities"]}
    assert set(idents) == {"lab/s3-reader", "lab/limited", "app/writer"}  # app/plain has no identity
    assert idents["lab/s3-reader"]["via"] == "pod-identity"
    assert idents["lab/s3-reader"]["associationId"].startswith("a-")
    assert idents["app/writer"] == {
        **idents["app/writer"],
        "via": "irsa",
        "roleArn": world.role_arn("app-writer"),
        "policies": ["writer"],
        "boundary": "boundary",
    }


def test_seed_reader_cells(report: dict[str, Any]) -> None:
    got = cell(report, "lab/s3-reader", "s3:GetObject", f"{OBJ}/allowed/report.txt")
    assert (got["decision"], got["deciding"]) == ("allowed", ["identity:reader:Statement[1]"])
    assert (
        cell(report, "lab/s3-reader", "s3:GetObject", f"{OBJ}/blocked/secret.txt")["decision"]
        == "implicit_deny"
    )
    listing = cell(report, "lab/s3-reader", "s3:ListBucket", OBJ)
    assert (listing["decision"], listing["conditional"]) == ("implicit_deny", True)  # needs s3:prefix
    assert (
        cell(report, "lab/s3-reader", "s3:PutObject", f"{OBJ}/allowed/report.txt")["decision"]
        == "implicit_deny"
    )


def test_boundary_and_resource_policies_decide(report: dict[str, Any], world: World) -> None:
    delete = cell(report, "app/writer", "sqs:DeleteQueue", world.queue_arn)
    assert (delete["decision"], delete["deniedIn"]) == ("implicit_deny", "boundary")
    purge = cell(report, "app/writer", "sqs:PurgeQueue", world.queue_arn)
    assert (purge["decision"], purge["deciding"]) == (
        "explicit_deny",
        ["resource:queue policy:Statement[0]:NoPurge"],
    )
    secret = cell(report, "lab/s3-reader", "secretsmanager:GetSecretValue", world.secret_arn)
    assert (secret["decision"], secret["deciding"]) == (
        "allowed",
        ["resource:secret policy:Statement[0]:ReaderGets"],
    )
    assert (
        cell(report, "app/writer", "secretsmanager:GetSecretValue", world.secret_arn)["decision"]
        == "implicit_deny"
    )


def _resource_policy(world: World, resource: str) -> Policy | None:
    if resource == world.queue_arn:
        text = world.srv.client("sqs").get_queue_attributes(
            QueueUrl=world.queue_url, AttributeNames=["Policy"]
        )["Attributes"]["Policy"]
        return parse_policy(text, kind="resource", name="queue policy")
    if resource == world.secret_arn:
        text = world.srv.client("secretsmanager").get_resource_policy(SecretId=resource)["ResourcePolicy"]
        return parse_policy(text, kind="resource", name="secret policy")
    if resource == world.key_arn:
        text = world.srv.client("kms").get_key_policy(KeyId=resource, PolicyName="default")["Policy"]
        return parse_policy(text, kind="resource", name="key policy")
    return None


def test_every_cell_equals_the_judge(report: dict[str, Any], world: World) -> None:
    """All cells, recomputed from the documents the test created (not the tool's reads)."""
    writer = (parse_policy(WRITER, name="writer"),)
    boundary = (parse_policy(BOUNDARY, kind="boundary", name="boundary"),)
    mine = {
        "lab/s3-reader": (
            "s3-reader",
            PolicySet(identity=(parse_policy(READER, name="reader"), parse_policy(ABAC, name="abac"))),
        ),
        "app/writer": ("app-writer", PolicySet(identity=writer, boundary=boundary)),
        "lab/limited": (
            "app-writer",
            PolicySet(
                identity=writer,
                boundary=boundary,
                session=(parse_policy(SESSION, kind="session", name="association policy"),),
            ),
        ),
    }
    rps = {r: _resource_policy(world, r) for r in report["resources"]}
    assert len(report["cells"]) > 1000
    for c in report["cells"]:
        role, base = mine[c["serviceAccount"]]
        rp = rps[c["resource"]]
        policies = (
            base
            if rp is None
            else PolicySet(identity=base.identity, boundary=base.boundary, session=base.session, resource=rp)
        )
        request = Request(
            principal=f"arn:aws:sts::{world.account}:assumed-role/{role}/s",
            action=c["action"],
            resource=c["resource"],
            resource_account=None if c["resource"] == "*" else world.account,
            # the EKS session tag of a pod-identity session (lab/limited disables session tags)
            context={"aws:PrincipalTag/kubernetes-namespace": "lab"}
            if c["serviceAccount"] == "lab/s3-reader"
            else {},
        )
        d = evaluate(request, policies)
        refs = [
            f"{r.kind}:{r.policy}:Statement[{r.index}]" + (f":{r.sid}" if r.sid else "") for r in d.deciding
        ]
        assert (c["decision"], c["deciding"]) == (d.outcome, refs), c


def _outcome(call: Any) -> str:
    try:
        call()
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        assert code in ("AccessDenied", "AccessDeniedException"), code
        return "denied"
    return "allowed"


def test_cells_agree_with_real_calls(report: dict[str, Any], world: World) -> None:
    s3r, s3w = world.as_role("s3-reader", "s3"), world.as_role("app-writer", "s3")
    smr, sqw = world.as_role("s3-reader", "secretsmanager"), world.as_role("app-writer", "sqs")
    checks = [
        (
            "lab/s3-reader",
            "s3:GetObject",
            f"{OBJ}/allowed/report.txt",
            lambda: s3r.get_object(Bucket=BUCKET, Key="allowed/report.txt"),
        ),
        (
            "lab/s3-reader",
            "s3:GetObject",
            f"{OBJ}/blocked/secret.txt",
            lambda: s3r.get_object(Bucket=BUCKET, Key="blocked/secret.txt"),
        ),
        (
            "lab/s3-reader",
            "s3:PutObject",
            f"{OBJ}/allowed/report.txt",
            lambda: s3r.put_object(Bucket=BUCKET, Key="allowed/report.txt", Body=b"x"),
        ),
        (
            "app/writer",
            "s3:PutObject",
            f"{OBJ}/uploads/in.bin",
            lambda: s3w.put_object(Bucket=BUCKET, Key="uploads/in.bin", Body=b"x"),
        ),
        (
            "app/writer",
            "s3:GetObject",
            f"{OBJ}/top.txt",
            lambda: s3w.get_object(Bucket=BUCKET, Key="top.txt"),
        ),
        (
            "lab/s3-reader",
            "secretsmanager:GetSecretValue",
            world.secret_arn,
            lambda: smr.get_secret_value(SecretId=world.secret_arn),
        ),
        (
            "app/writer",
            "sqs:SendMessage",
            world.queue_arn,
            lambda: sqw.send_message(QueueUrl=world.queue_url, MessageBody="hi"),
        ),
        ("app/writer", "sqs:PurgeQueue", world.queue_arn, lambda: sqw.purge_queue(QueueUrl=world.queue_url)),
        (
            "app/writer",
            "sqs:DeleteQueue",
            world.queue_arn,
            lambda: sqw.delete_queue(QueueUrl=world.queue_url),
        ),
    ]
    for sa, action, resource, call in checks:
        want = "allowed" if cell(report, sa, action, resource)["decision"] == "allowed" else "denied"
        assert _outcome(call) == want, (sa, action, resource)
    assert {_outcome(c[3]) for c in checks} == {"allowed", "denied"}


def test_rows_fold_ranges(report: dict[str, Any]) -> None:
    rows = [
        r
        for r in report["rows"]
        if r["serviceAccount"] == "lab/s3-reader" and r["decision"] == "allowed" and r["service"] == "s3"
    ]
    assert [(r["resource"], r["actions"], r["deciding"]) for r in rows] == [
        (f"{OBJ}/allowed/*", ["s3:GetObject"], ["identity:reader:Statement[1]"]),
        (f"{OBJ}/lab/notes.txt", ["s3:GetObject"], ["identity:abac:Statement[0]:OwnNamespace"]),
    ]
    assert sorted(rows[0]["resources"]) == [f"{OBJ}/allowed/q1/sales.csv", f"{OBJ}/allowed/report.txt"]
    denied = [
        r
        for r in report["rows"]
        if r["serviceAccount"] == "lab/s3-reader"
        and r["service"] == "s3"
        and r["resource"] == "*"
        and r["accessLevel"] == "Write"
    ]
    assert len(denied) == 1 and denied[0]["decision"] == "implicit_deny" and len(denied[0]["actions"]) > 20
    assert report["summary"]["rows"] == len(report["rows"]) < report["summary"]["cells"] / 5


def test_against_shows_added_and_removed_allows(world: World, tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    world.matrix("--format", "json", "-o", str(old), "--service", "s3")
    iam = world.srv.client("iam")
    iam.put_role_policy(
        RoleName="s3-reader",
        PolicyName="put",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"{OBJ}/allowed/*"}],
            }
        ),
    )
    iam.detach_role_policy(RoleName="s3-reader", PolicyArn=f"arn:aws:iam::{world.account}:policy/reader")
    try:
        changes = world.report("--service", "s3", "--against", str(old))["changes"]
        table = world.matrix("--service", "s3", "--against", str(old)).stdout
        failing = world.matrix("--service", "s3", "--against", str(old), "--fail-on-change", check=False)
    finally:
        iam.attach_role_policy(RoleName="s3-reader", PolicyArn=f"arn:aws:iam::{world.account}:policy/reader")
        iam.delete_role_policy(RoleName="s3-reader", PolicyName="put")
    got = {(c["kind"], c["action"], c["resource"]) for c in changes}
    assert got == {
        ("added", "s3:PutObject", f"{OBJ}/allowed/report.txt"),
        ("added", "s3:PutObject", f"{OBJ}/allowed/q1/sales.csv"),
        ("removed", "s3:GetObject", f"{OBJ}/allowed/report.txt"),
        ("removed", "s3:GetObject", f"{OBJ}/allowed/q1/sales.csv"),
    }
    assert all(c["identity"] == "lab/s3-reader" for c in changes)
    assert "4 changed cells" in table and "added" in table and "removed" in table
    assert failing.returncode == 1
    assert world.matrix("--service", "s3", "--against", str(old)).stdout.count("changed cells") == 1


def test_table_lists_each_identity(world: World) -> None:
    out = world.matrix("--service", "s3", "--service", "secretsmanager").stdout
    assert "lab/s3-reader -> arn:aws:iam::111122223333:role/s3-reader (pod-identity)" in out
    assert "app/writer -> arn:aws:iam::111122223333:role/app-writer (irsa)" in out
    assert f"{OBJ}/allowed/*" in out and "identity:reader:Statement[1]" in out
    assert ":secret:db-" in out  # no emoji substitution of ":secret:"


def test_bad_against_file_is_refused(world: World, tmp_path: Path) -> None:
    bogus = tmp_path / "x.json"
    bogus.write_text(json.dumps({"schema": "something-else"}))
    done = world.matrix("--against", str(bogus), check=False)
    assert done.returncode == 2 and "not a podid.access-matrix/1 report" in done.stderr
    done = world.matrix("--format", "xml", check=False)
    assert done.returncode == 2 and "--format must be one of" in done.stderr


def test_session_policy_and_key_policy_cells(report: dict[str, Any], world: World) -> None:
    send = cell(report, "lab/limited", "sqs:SendMessage", world.queue_arn)
    assert send["decision"] == "allowed" and "session:association policy:Statement[0]" in send["deciding"]
    receive = cell(report, "lab/limited", "sqs:ReceiveMessage", world.queue_arn)
    assert (receive["decision"], receive["deniedIn"]) == ("implicit_deny", "session")
    assert cell(report, "app/writer", "sqs:ReceiveMessage", world.queue_arn)["decision"] == "allowed"
    decrypt = cell(report, "lab/s3-reader", "kms:Decrypt", world.key_arn)
    assert decrypt["decision"] == "allowed"
    assert "resource:key policy:Statement[1]:ReaderDecrypts" in decrypt["deciding"]
    assert cell(report, "lab/s3-reader", "kms:Encrypt", world.key_arn)["decision"] == "implicit_deny"
    assert cell(report, "app/writer", "kms:Decrypt", world.key_arn)["decision"] == "implicit_deny"


def test_session_and_key_cells_agree_with_real_calls(report: dict[str, Any], world: World) -> None:
    blob = world.srv.client("kms").encrypt(KeyId=world.key_arn, Plaintext=b"p")["CiphertextBlob"]
    kms_r = world.as_role("s3-reader", "kms")
    sqs_l = world.as_role("app-writer", "sqs", policy=SESSION)  # what EKS Auth hands lab/limited
    checks = [
        ("lab/s3-reader", "kms:Decrypt", world.key_arn, lambda: kms_r.decrypt(CiphertextBlob=blob)),
        (
            "lab/s3-reader",
            "kms:Encrypt",
            world.key_arn,
            lambda: kms_r.encrypt(KeyId=world.key_arn, Plaintext=b"p"),
        ),
        (
            "lab/limited",
            "sqs:SendMessage",
            world.queue_arn,
            lambda: sqs_l.send_message(QueueUrl=world.queue_url, MessageBody="m"),
        ),
        (
            "lab/limited",
            "sqs:ReceiveMessage",
            world.queue_arn,
            lambda: sqs_l.receive_message(QueueUrl=world.queue_url, WaitTimeSeconds=0),
        ),
    ]
    for sa, action, resource, call in checks:
        want = "allowed" if cell(report, sa, action, resource)["decision"] == "allowed" else "denied"
        assert _outcome(call) == want, (sa, action, resource)


def test_endpoint_from_the_environment(world: World) -> None:
    """`source .podid/env` sets AWS_ENDPOINT_URL: no --endpoint-url needed (as against real AWS)."""
    done = subprocess.run(
        [
            str(PODID),
            "access-matrix",
            "--cluster",
            "lab",
            "--no-irsa",
            "--service",
            "kms",
            "--format",
            "json",
        ],
        env=world.srv.env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert {i["serviceAccount"] for i in got["identities"]} == {"lab/s3-reader", "lab/limited"}
    assert world.key_arn in got["resources"]


def test_every_service_lister_reads_its_resources(report: dict[str, Any], world: World) -> None:
    acct = world.account
    for arn in (
        f"arn:aws:dynamodb:us-east-1:{acct}:table/orders",
        f"arn:aws:logs:us-east-1:{acct}:log-group:/app/orders",
        world.key_arn,
        world.queue_arn,
        world.secret_arn,
        OBJ,
        f"{OBJ}/top.txt",
    ):
        assert arn in report["resources"], arn
    assert report["notes"] == []
    table = cell(report, "app/writer", "dynamodb:GetItem", f"arn:aws:dynamodb:us-east-1:{acct}:table/orders")
    assert table["decision"] == "implicit_deny" and table["deniedIn"] == "identity"


def test_abac_on_session_tags_agrees_with_a_tagged_session(report: dict[str, Any], world: World) -> None:
    """The matrix gives pod-identity sessions the EKS session tags; a session with the same tag agrees."""
    got = cell(report, "lab/s3-reader", "s3:GetObject", f"{OBJ}/lab/notes.txt")
    assert got["decision"] == "allowed"
    tagged = world.as_role("s3-reader", "s3", tags={"kubernetes-namespace": "lab"})
    assert _outcome(lambda: tagged.get_object(Bucket=BUCKET, Key="lab/notes.txt")) == "allowed"
    other = world.as_role("s3-reader", "s3", tags={"kubernetes-namespace": "app"})
    assert _outcome(lambda: other.get_object(Bucket=BUCKET, Key="lab/notes.txt")) == "denied"

"""`podid verify` against `podid up`: the seed lab passes 8/8; each broken set-up of the issue fails
the right check with the right hint; JSON, JUnit (parsed by junitparser) and the table; `--all`."""

from __future__ import annotations

import json

from junitparser import Failure, JUnitXml, Skipped

from support.lab import BUCKET, CLUSTER, LAB, NS, Lab
from verify.conftest import NODE_ROLE, checks, seed_target, verify, verify_json

S3_READ_ALL = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"


def _sa(lab: Lab, name: str, annotations: dict[str, str] | None = None) -> None:
    manifest = {"apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": {"name": name, "namespace": NS, "annotations": annotations or {}}}
    lab.ok(f"echo '{json.dumps(manifest)}' | kubectl apply -f -")


def test_seed_lab_passes_all_eight_checks(lab: Lab) -> None:
    code, report = verify_json(lab, *seed_target(), "--verbose")
    got = checks(report)
    assert code == 0, json.dumps(report, indent=1)
    assert list(got) == ["agent-addon", "association", "policy-scope", "service-account", "caller-identity",
                         "allowed-prefix", "blocked-prefix", "default-sa-denied"]
    assert {c["status"] for c in got.values()} == {"pass"}, json.dumps(report, indent=1)
    assert report["summary"] == {"passed": 8, "failed": 0, "skipped": 0, "total": 8, "ok": True}
    assert "assumed-role/s3-reader/" in got["caller-identity"]["evidence"][0]
    assert "report.txt" in got["allowed-prefix"]["evidence"][0]
    assert "AccessDenied" in got["blocked-prefix"]["evidence"][0]
    assert f"assumed-role/{NODE_ROLE}/" in got["default-sa-denied"]["evidence"][0]  # the node role, denied
    assert any("Statement" in e and "allowed/*" in e for e in got["policy-scope"]["evidence"])
    assert report["workloads"][0]["lint"] == []

    table = verify(lab, *seed_target())
    assert table.returncode == 0, table.stdout + table.stderr
    assert table.stdout.rstrip().endswith("8/8 checks passed")
    # no probe pod is left behind
    assert "podid-verify" not in lab.ok(f"kubectl get pods -n {NS} -o name")


def test_junit_is_valid_and_counts_checks(lab: Lab, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _sa(lab, "nobody")
    done = verify(lab, *seed_target("nobody"), "--format", "junit")
    assert done.returncode == 1, done.stderr
    path = tmp_path / "verify.xml"
    path.write_text(done.stdout)
    xml = JUnitXml.fromfile(str(path))
    suites = list(xml)
    assert len(suites) == 1 and suites[0].name == "lab/lab/nobody"
    cases = {case.name.split(":")[0]: case for case in suites[0]}
    assert len(cases) == 8
    failed = {name for name, case in cases.items() if any(isinstance(r, Failure) for r in case.result)}
    assert {"association", "policy-scope", "caller-identity"} <= failed
    assert "agent-addon" not in failed
    assert not any(isinstance(r, Skipped) for case in cases.values() for r in case.result)
    assoc = next(r for r in cases["association"].result if isinstance(r, Failure))
    assert "create-pod-identity-association" in (assoc.text or "")


def test_no_association_fails_with_the_create_hint(lab: Lab) -> None:
    _sa(lab, "orphan")
    code, report = verify_json(lab, *seed_target("orphan"))
    got = checks(report)
    assert code == 1
    assert got["association"]["status"] == "fail"
    assert got["association"]["hint"].startswith(
        "aws eks create-pod-identity-association --cluster-name lab --namespace lab --service-account orphan")
    assert got["caller-identity"]["status"] == "fail"
    assert got["agent-addon"]["status"] == "pass"


def test_s3_star_policy_fails_policy_scope(lab: Lab) -> None:
    lab.ok(f"aws iam create-policy --policy-name broad --policy-document "
           f"file://{LAB / 'overbroad-policy.json'}")
    lab.role("broad", LAB / "pod-identity-trust.json", f"arn:aws:iam::{lab.account}:policy/broad")
    _sa(lab, "broad")
    lab.associate("broad", "broad")
    code, report = verify_json(lab, *seed_target("broad"))
    got = checks(report)
    assert code == 1
    assert got["policy-scope"]["status"] == "fail"
    hint = got["policy-scope"]["hint"]
    assert "ServiceWildcardAction" in hint or "WildcardResource" in hint
    assert f"arn:aws:s3:::{BUCKET}/allowed/*" in got["policy-scope"]["hint"]
    assert got["blocked-prefix"]["status"] == "fail"          # the probe pod really lists blocked/
    assert got["caller-identity"]["status"] == "pass"
    codes = {f["code"] for f in report["workloads"][0]["lint"]}
    assert {"ServiceWildcardAction", "WildcardResource"} & codes


def test_trust_without_tag_session_fails_association(lab: Lab) -> None:
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "pods.eks.amazonaws.com"}}]}
    lab.role("notag", trust, f"arn:aws:iam::{lab.account}:policy/s3-reader")
    _sa(lab, "notag")
    lab.associate("notag", "notag")
    code, report = verify_json(lab, *seed_target("notag"))
    got = checks(report)
    assert code == 1
    assert got["association"]["status"] == "fail"
    assert "sts:TagSession" in got["association"]["hint"]
    assert got["caller-identity"]["status"] == "fail"        # EKS Auth refuses: the pod has no credentials


def test_irsa_trust_with_star_sub_fails_association(lab: Lab) -> None:
    issuer = lab.ok(f"aws eks describe-cluster --name {CLUSTER} --query cluster.identity.oidc.issuer "
                    "--output text").strip()
    host = issuer.removeprefix("https://")
    lab.sh(f"aws iam create-open-id-connect-provider --url {issuer} --client-id-list sts.amazonaws.com")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
        "Principal": {"Federated": f"arn:aws:iam::{lab.account}:oidc-provider/{host}"},
        "Condition": {"StringLike": {f"{host}:sub": "*"}}}]}
    arn = lab.role("irsa-any", trust, f"arn:aws:iam::{lab.account}:policy/s3-reader")
    _sa(lab, "irsa-any", {"eks.amazonaws.com/role-arn": arn})
    code, report = verify_json(lab, *seed_target("irsa-any"), "--no-probes")
    got = checks(report)
    assert code == 1
    assert report["workloads"][0]["mode"] == "irsa"
    assert got["agent-addon"]["status"] == "skip"
    assert got["association"]["status"] == "fail"
    assert f'"{host}:sub": "system:serviceaccount:lab:irsa-any"' in got["association"]["hint"]
    assert "WebIdentityWildcardSub" in {f["code"] for f in report["workloads"][0]["lint"]}


def test_association_after_the_pod_needs_a_restart(lab: Lab) -> None:
    _sa(lab, "late")
    lab.pod("late-app", "late")
    lab.associate("late", "s3-reader")
    code, report = verify_json(lab, *seed_target("late"), "--no-probes")
    got = checks(report)
    assert code == 1
    assert got["service-account"]["status"] == "fail"
    assert "started before" in got["service-account"]["summary"]
    assert "kubectl delete pod -n lab late-app" in got["service-account"]["hint"]
    lab.ok(f"kubectl -n {NS} delete pod late-app --wait=true --timeout=60s")
    lab.pod("late-app", "late")
    _, after = verify_json(lab, *seed_target("late"), "--no-probes")
    assert checks(after)["service-account"]["status"] == "pass"


def test_default_sa_on_an_over_broad_node_role_fails(lab: Lab) -> None:
    lab.ok(f"aws iam attach-role-policy --role-name {NODE_ROLE} --policy-arn {S3_READ_ALL}")
    try:
        code, report = verify_json(lab, *seed_target())
    finally:
        lab.ok(f"aws iam detach-role-policy --role-name {NODE_ROLE} --policy-arn {S3_READ_ALL}")
    got = checks(report)
    assert code == 1
    assert got["default-sa-denied"]["status"] == "fail"
    assert f"assumed-role/{NODE_ROLE}/" in got["default-sa-denied"]["hint"]
    assert "node role" in got["default-sa-denied"]["hint"]
    assert [c for c, r in got.items() if r["status"] != "pass"] == ["default-sa-denied"]


def test_all_covers_every_association_and_irsa_service_account(lab: Lab) -> None:
    # an IRSA service account of this test's own (not one an earlier test may have left)
    arn = lab.role("all-irsa", LAB / "pod-identity-trust.json")
    _sa(lab, "all-irsa", {"eks.amazonaws.com/role-arn": arn})
    code, report = verify_json(lab, "--all", "--no-probes")
    names = [(w["namespace"], w["serviceAccount"], w["mode"]) for w in report["workloads"]]
    assert ("lab", "s3-reader", "pod-identity") in names
    assert len(names) == len(set(names))
    by_name = {w["serviceAccount"]: w for w in report["workloads"]}
    assert {c["id"]: c["status"] for c in by_name["s3-reader"]["checks"]}["policy-scope"] == "pass"
    assert by_name["all-irsa"]["mode"] == "irsa"
    assert ("lab", "all-irsa", "irsa") in names


def test_bad_input_exits_2(lab: Lab) -> None:
    done = verify(lab, "--namespace", NS)
    assert done.returncode == 2 and "--service-account" in done.stderr
    done = verify(lab, *seed_target(), "--format", "yaml")
    assert done.returncode == 2 and "--format" in done.stderr

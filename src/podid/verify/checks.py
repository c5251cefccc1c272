"""The eight checks of seed 000's checklist for one workload, each a pass/fail/skip with evidence
(the command's output, the deciding statement) and a fix hint.

`run_checks` gathers what the checks share once (association or IRSA annotation, the role and its
documents, the lint of every document) and runs, in the checklist's order: agent add-on, association,
policy scope, ServiceAccount, then three checks inside a probe pod of the ServiceAccount (caller
identity, allowed prefix, blocked prefix) and one inside a probe pod of the namespace's `default`
ServiceAccount. Probe pods are real pods (created, exec'd into, deleted through the Kubernetes API),
so the same code answers for `podid up` and for a real EKS cluster.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from podid.iam import PolicyError
from podid.verify import judge
from podid.verify.aws import AssociationView, AwsReadError, RoleView
from podid.verify.context import VerifyContext
from podid.verify.kube import IRSA_ANNOTATION, KubeReadError, PodView
from podid.verify.model import CheckResult, LintFinding, Target, WorkloadReport
from podid.verify.probe import ExecResult, ProbeError, probe_pod

_LINT_FAILS = {"WildcardAction", "ServiceWildcardAction", "WildcardResource", "AllowWithNotAction",
               "AllowWithNotResource", "PassRoleWildcard"}
_TRUST_FAILS = {"WebIdentityNoSubCondition", "WebIdentityWildcardSub", "PodIdentityNoTagSession",
                "PodIdentityExtraPrincipal"}


@dataclass
class _Facts:
    """What the checks share, read once."""

    target: Target
    association: AssociationView | None = None
    associations: list[AssociationView] = field(default_factory=list)
    service_account: dict[str, Any] | None = None
    role_arn: str | None = None
    role: RoleView | None = None
    issuer: str | None = None
    lint: list[LintFinding] = field(default_factory=list)
    read_errors: list[str] = field(default_factory=list)


def _gather(ctx: VerifyContext, target: Target) -> _Facts:
    facts = _Facts(target)
    try:
        facts.service_account = ctx.kube.service_account(target.namespace, target.service_account)
    except KubeReadError as e:
        facts.read_errors.append(str(e))
    try:
        facts.associations = ctx.aws.associations(target.cluster, target.namespace, target.service_account)
    except AwsReadError as e:
        facts.read_errors.append(str(e))
    annotations = ((facts.service_account or {}).get("metadata") or {}).get("annotations") or {}
    if facts.associations:
        facts.association = facts.associations[0]
        facts.role_arn = facts.association.role_arn
    elif target.mode == "irsa" and annotations.get(IRSA_ANNOTATION):
        facts.role_arn = annotations[IRSA_ANNOTATION]
    if target.mode == "irsa":
        try:
            facts.issuer = ctx.aws.oidc_issuer(target.cluster)
        except AwsReadError as e:
            facts.read_errors.append(str(e))
    if facts.role_arn:
        try:
            facts.role = ctx.aws.role(facts.role_arn)
        except AwsReadError as e:
            facts.read_errors.append(str(e))
    if facts.role is not None:
        docs: list[tuple[str, dict[str, Any], Any]] = [(f"role/{facts.role.name} trust policy",
                                                        facts.role.trust, "trust")]
        docs += [(d.label, d.document, "identity") for d in facts.role.policies]
        if facts.role.boundary is not None:
            docs.append((facts.role.boundary.label, facts.role.boundary.document, "boundary"))
        facts.lint = judge.lint_documents(docs)
    return facts


def _result(check_id: str, ok: bool, summary: str, evidence: list[str], hint: str = "") -> CheckResult:
    return CheckResult(check_id, "pass" if ok else "fail", summary, tuple(evidence), "" if ok else hint)


def check_agent_addon(ctx: VerifyContext, facts: _Facts) -> CheckResult:
    t = facts.target
    if t.mode == "irsa":
        return CheckResult("agent-addon", "skip", "IRSA does not use the Pod Identity agent")
    try:
        status = ctx.aws.addon_status(t.cluster)
    except AwsReadError as e:
        return _result("agent-addon", False, "cannot read the add-on", [str(e)],
                       "check the credentials (eks:DescribeAddon) and the cluster name")
    evidence = [f"$ aws eks describe-addon --cluster-name {t.cluster} --addon-name eks-pod-identity-agent"
                f"\nstatus: {status or 'not installed'}"]
    hint = (f"aws eks create-addon --cluster-name {t.cluster} --addon-name eks-pod-identity-agent"
            if status is None else "wait for the add-on, or check its health: aws eks describe-addon")
    return _result("agent-addon", status == "ACTIVE", f"add-on {status or 'not installed'}", evidence, hint)


def check_association(ctx: VerifyContext, facts: _Facts) -> CheckResult:
    t = facts.target
    lint = [f for f in facts.lint if f.code in _TRUST_FAILS]
    if t.mode == "irsa":
        if facts.role_arn is None:
            return _result("association", False, "no eks.amazonaws.com/role-arn annotation", [],
                           f"kubectl annotate sa -n {t.namespace} {t.service_account} "
                           f"{IRSA_ANNOTATION}=arn:aws:iam::{ctx.account}:role/ROLE")
        return _trust_result(facts, lint, f"IRSA annotation -> {facts.role_arn}")
    if not facts.associations:
        return _result("association", False, f"no association for {t.name} in cluster {t.cluster}",
                       facts.read_errors,
                       f"aws eks create-pod-identity-association --cluster-name {t.cluster} --namespace "
                       f"{t.namespace} --service-account {t.service_account} --role-arn ROLE_ARN")
    a = facts.associations[0]
    return _trust_result(facts, lint, f"{a.association_id}: {t.name} -> {a.role_arn}")


def _trust_result(facts: _Facts, lint: list[LintFinding], head: str) -> CheckResult:
    if facts.role is None:
        return _result("association", False, f"{head}, but the role cannot be read", facts.read_errors,
                       "create the role, or fix the association's role ARN")
    t = facts.target
    trust = facts.role.trust
    evidence = [head, f"trust policy of role/{facts.role.name}: {json.dumps(trust, sort_keys=True)}"]
    try:
        [policy] = judge.compile_docs([(f"role/{facts.role.name} trust", trust)], "trust")
    except PolicyError as e:
        return _result("association", False, "the trust policy is invalid", [*evidence, str(e)],
                       "fix the trust policy")
    if t.mode == "irsa":
        host = (facts.issuer or "").removeprefix("https://")
        probes = judge.with_resource(judge.irsa_trust_probes(host, t.namespace, t.service_account),
                                     facts.role.arn)
        provider = f"arn:aws:iam::{facts.role.arn.split(':')[4]}:oidc-provider/{host}"
        verdicts = judge.simulate(provider, probes, (), resource=policy, principal_type="Federated")
    else:
        verdicts = judge.simulate(judge.POD_IDENTITY_SERVICE, judge.with_resource(
            judge.pod_identity_trust_probes(), facts.role.arn), (), resource=policy, principal_type="Service")
    evidence += [v.evidence for v in verdicts] + [f"{f.severity} {f.code}: {f.message}" for f in lint]
    ok = all(v.as_intended for v in verdicts) and not lint
    if ok:
        return _result("association", True, head, evidence)
    codes = {f.code for f in lint}
    if "PodIdentityNoTagSession" in codes or any(
            not v.as_intended and v.probe.action == "sts:TagSession" for v in verdicts):
        hint = ('add "sts:TagSession" to the trust statement for pods.eks.amazonaws.com '
                "(EKS Auth tags every session)")
    elif codes & {"WebIdentityWildcardSub", "WebIdentityNoSubCondition"} or any(
            not v.as_intended and not v.probe.want_allowed for v in verdicts):
        host = (facts.issuer or "<issuer>").removeprefix("https://")
        hint = (f'trust exactly one ServiceAccount: "StringEquals": {{"{host}:sub": '
                f'"system:serviceaccount:{t.namespace}:{t.service_account}"}}')
    else:
        hint = ("trust pods.eks.amazonaws.com with sts:AssumeRole and sts:TagSession" if t.mode != "irsa"
                else "trust the cluster's OIDC provider with sts:AssumeRoleWithWebIdentity")
    return _result("association", False, f"{head}, but the role's trust is not as intended", evidence, hint)


def check_policy_scope(ctx: VerifyContext, facts: _Facts) -> CheckResult:
    t = facts.target
    if facts.role is None:
        return _result("policy-scope", False, "no role to check", facts.read_errors,
                       "bind the ServiceAccount to a role first (association or IRSA annotation)")
    broad = [f for f in facts.lint if f.code in _LINT_FAILS or f.code == "ListBucketNoPrefix"]
    evidence = [f"{f.policy}: {f.severity} {f.code} {f.location}: {f.message}" for f in broad]
    if t.bucket is None:
        ok = not [f for f in broad if f.severity == "error"]
        return CheckResult("policy-scope", "pass" if ok else "fail",
                           "policies linted (no --bucket: S3 scope not simulated)", tuple(evidence),
                           "" if ok else "replace wildcards with the actions and ARNs the workload uses")
    try:
        identity = judge.compile_docs([(d.label, d.document) for d in facts.role.policies], "identity")
        boundary = (judge.compile_docs([(facts.role.boundary.label, facts.role.boundary.document)],
                                       "boundary") if facts.role.boundary else None)
    except PolicyError as e:
        return _result("policy-scope", False, "a policy of the role is invalid", [str(e)], "fix the policy")
    session = f"arn:aws:sts::{facts.role.arn.split(':')[4]}:assumed-role/{facts.role.name}/podid-verify"
    verdicts = judge.simulate(session, judge.s3_probes(t.bucket, t.allowed_prefix, t.blocked_prefix),
                              identity, boundary)
    evidence = [v.evidence for v in verdicts] + evidence
    wrong = [v for v in verdicts if not v.as_intended]
    errors = [f for f in broad if f.severity == "error"]
    ok = not wrong and not errors
    if ok:
        return _result("policy-scope", True, f"scoped to s3://{t.bucket}/{t.allowed_prefix or ''}", evidence)
    if errors:
        hint = (f"replace {', '.join(sorted({f.code for f in errors}))} with s3:ListBucket on "
                f"arn:aws:s3:::{t.bucket} (condition s3:prefix {t.allowed_prefix or 'PREFIX/'}*) and "
                f"s3:GetObject on arn:aws:s3:::{t.bucket}/{t.allowed_prefix or 'PREFIX/'}*")
    elif any(v.probe.want_allowed for v in wrong):
        hint = (f"allow s3:ListBucket (s3:prefix {t.allowed_prefix}*) and s3:GetObject under "
                f"{t.allowed_prefix}")
    else:
        hint = f"narrow the Resource / s3:prefix condition so {t.blocked_prefix} is not covered"
    return _result("policy-scope", False, f"{len(wrong)} request(s) not as intended, {len(errors)} "
                   "over-broad statement(s)", evidence, hint)


def check_service_account(ctx: VerifyContext, facts: _Facts, pods: list[PodView]) -> CheckResult:
    t = facts.target
    sa = facts.service_account
    if sa is None:
        return _result("service-account", False, f"ServiceAccount {t.name} does not exist", facts.read_errors,
                       f"kubectl create serviceaccount -n {t.namespace} {t.service_account}")
    annotations = (sa.get("metadata") or {}).get("annotations") or {}
    evidence = [f"$ kubectl get sa -n {t.namespace} {t.service_account}\nannotations: "
                f"{json.dumps(annotations, sort_keys=True)}"]
    stale = [p for p in pods if not p.has_identity(t.mode)]
    evidence += [f"pod {p.name} ({p.owner or 'bare pod'}): no "
                 f"{'AWS_CONTAINER_CREDENTIALS_FULL_URI' if t.mode == 'pod-identity' else 'AWS_ROLE_ARN'}"
                 for p in stale]
    if t.mode == "irsa" and IRSA_ANNOTATION not in annotations:
        return _result("service-account", False, "no eks.amazonaws.com/role-arn annotation", evidence,
                       f"kubectl annotate sa -n {t.namespace} {t.service_account} {IRSA_ANNOTATION}=ROLE_ARN")
    if stale:
        owners = sorted({p.owner for p in stale if p.owner})
        restart = (f"kubectl rollout restart -n {t.namespace} deployment/<name> (pods of {', '.join(owners)})"
                   if owners else f"kubectl delete pod -n {t.namespace} {' '.join(p.name for p in stale)}"
                   " and create them again")
        return _result("service-account", False,
                       f"{len(stale)} pod(s) started before the identity existed: they have no credentials",
                       evidence, f"the mutation happens at pod creation: {restart}")
    return _result("service-account", True, f"{t.name} ({t.mode}), {len(pods)} pod(s) with the identity",
                   evidence)


_ASSUMED = re.compile(r"^arn:aws[\w-]*:sts::\d{12}:assumed-role/([^/]+)/")


def _exec(ctx: VerifyContext, namespace: str, sa: str, commands: list[list[str]]) -> list[ExecResult] | str:
    try:
        with probe_pod(ctx.kube.core, namespace, sa, image=ctx.image, start_timeout=ctx.start_timeout,
                       exec_timeout=ctx.exec_timeout) as pod:
            return [pod.run(*c) for c in commands]
    except ProbeError as e:
        return str(e)


def probe_checks(ctx: VerifyContext, facts: _Facts) -> list[CheckResult]:
    """caller-identity, allowed-prefix, blocked-prefix: one probe pod of the ServiceAccount."""
    t = facts.target
    commands = [["aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text"]]
    if t.bucket and t.allowed_prefix is not None:
        commands.append(["aws", "s3", "ls", f"s3://{t.bucket}/{t.allowed_prefix}"])
    if t.bucket and t.blocked_prefix is not None:
        commands.append(["aws", "s3", "ls", f"s3://{t.bucket}/{t.blocked_prefix}"])
    if facts.service_account is None:
        reason = f"ServiceAccount {t.name} does not exist: no probe pod"
        return [CheckResult(c, "fail", reason, hint="create the ServiceAccount")
                for c in ("caller-identity", "allowed-prefix", "blocked-prefix")]
    results = _exec(ctx, t.namespace, t.service_account, commands)
    if isinstance(results, str):
        return [CheckResult(c, "fail", "probe pod failed", (results,),
                            "check that pods can start in the namespace (image pull, quotas)")
                for c in ("caller-identity", "allowed-prefix", "blocked-prefix")]
    who = results[0]
    arn = who.stdout.strip()
    m = _ASSUMED.match(arn)
    role_name = facts.role.name if facts.role else (facts.role_arn or "").rsplit("/", 1)[-1]
    ok = who.returncode == 0 and m is not None and m.group(1) == role_name
    if ok:
        caller = _result("caller-identity", True, f"assumed-role/{role_name}", [who.evidence()])
    elif who.returncode == 0:
        caller = _result("caller-identity", False, f"the pod runs as {arn}, not role/{role_name}",
                         [who.evidence()], "the pod got another identity (a node role's instance profile?): "
                         "check the association / annotation and restart the pods")
    else:
        caller = _result("caller-identity", False, "the pod has no AWS credentials", [who.evidence()],
                         "check the agent add-on and the association, then restart the pods")
    out = [caller]
    rest = results[1:]
    if t.bucket and t.allowed_prefix is not None:
        r = rest.pop(0)
        out.append(_result("allowed-prefix", r.returncode == 0, f"s3://{t.bucket}/{t.allowed_prefix} lists"
                           if r.returncode == 0 else "listing the allowed prefix failed", [r.evidence()],
                           "allow s3:ListBucket with the s3:prefix condition for the allowed prefix"))
    else:
        out.append(CheckResult("allowed-prefix", "skip", "no --bucket/--allowed-prefix"))
    if t.bucket and t.blocked_prefix is not None:
        r = rest.pop(0)
        denied = r.returncode != 0 and "AccessDenied" in r.stderr + r.stdout
        out.append(_result("blocked-prefix", denied, "AccessDenied" if denied else
                           ("listing the blocked prefix succeeded" if r.returncode == 0 else
                            "failed, but not with AccessDenied"), [r.evidence()],
                           "narrow s3:ListBucket's s3:prefix condition to the allowed prefix"))
    else:
        out.append(CheckResult("blocked-prefix", "skip", "no --bucket/--blocked-prefix"))
    return out


def check_default_sa(ctx: VerifyContext, facts: _Facts) -> CheckResult:
    """A pod of the namespace's `default` ServiceAccount must not reach the workload's data."""
    t = facts.target
    if t.service_account == "default":
        return CheckResult("default-sa-denied", "skip", "the workload itself uses the default ServiceAccount")
    if not t.bucket:
        return CheckResult("default-sa-denied", "skip", "no --bucket to probe")
    prefix = t.allowed_prefix or ""
    key = (t.namespace, t.bucket, prefix)
    if key not in ctx.default_sa_cache:
        got = _exec(ctx, t.namespace, "default", [
            ["aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text"],
            ["aws", "s3", "ls", f"s3://{t.bucket}/{prefix}"]])
        if isinstance(got, str):
            return _result("default-sa-denied", False, "probe pod of the default ServiceAccount failed",
                           [got], "check that pods can start in the namespace")
        ctx.default_sa_cache[key] = got
    who, listing = ctx.default_sa_cache[key]
    evidence = [who.evidence(), listing.evidence()]
    if listing.returncode != 0:
        return _result("default-sa-denied", True, "denied" if who.returncode != 0 else
                       f"runs as {who.stdout.strip()}, listing denied", evidence)
    hint = ("the default ServiceAccount reaches the data: it runs as "
            f"{who.stdout.strip() or 'some identity'}; if that is the node role (instance profile), narrow "
            "it and block IMDS for pods (hop limit 1), or remove the default SA's association")
    return _result("default-sa-denied", False, f"the default ServiceAccount lists s3://{t.bucket}/{prefix}",
                   evidence, hint)


def run_checks(ctx: VerifyContext, target: Target, *, probes: bool = True) -> WorkloadReport:
    facts = _gather(ctx, target)
    try:
        pods = ctx.kube.pods_of(target.namespace, target.service_account)
    except KubeReadError as e:
        facts.read_errors.append(str(e))
        pods = []
    report = WorkloadReport(target, lint=facts.lint)
    report.checks += [check_agent_addon(ctx, facts), check_association(ctx, facts),
                      check_policy_scope(ctx, facts), check_service_account(ctx, facts, pods)]
    if probes:
        report.checks += probe_checks(ctx, facts)
        report.checks.append(check_default_sa(ctx, facts))
    else:
        report.checks += [CheckResult(c, "skip", "--no-probes") for c in
                          ("caller-identity", "allowed-prefix", "blocked-prefix", "default-sa-denied")]
    return report

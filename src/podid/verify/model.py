"""The result types of `podid verify`: a target workload, one check's outcome, a report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["pass", "fail", "skip"]

# the eight checks, in the seeds' checklist order: (id, title)
CHECKS: tuple[tuple[str, str], ...] = (
    ("agent-addon", "Pod Identity agent add-on is ACTIVE"),
    ("association", "association binds the ServiceAccount to the role"),
    ("policy-scope", "role policy is scoped to the bucket and prefix"),
    ("service-account", "ServiceAccount is as intended"),
    ("caller-identity", "probe pod runs as the dedicated role"),
    ("allowed-prefix", "allowed prefix lists"),
    ("blocked-prefix", "blocked prefix is AccessDenied"),
    ("default-sa-denied", "default ServiceAccount gets no access"),
)
TITLES = dict(CHECKS)


@dataclass(frozen=True)
class Target:
    """One workload to verify; bucket/prefixes may be unknown (``--all`` without a policy naming them)."""

    cluster: str
    namespace: str
    service_account: str
    bucket: str | None = None
    allowed_prefix: str | None = None
    blocked_prefix: str | None = None
    mode: Literal["pod-identity", "irsa"] = "pod-identity"

    @property
    def name(self) -> str:
        return f"{self.namespace}/{self.service_account}"


@dataclass(frozen=True)
class LintFinding:
    """A `podid.iam` lint finding on one policy document involved in the checks."""

    policy: str           # e.g. "role/s3-reader trust policy", "policy/s3-reader"
    severity: str
    code: str
    message: str
    location: str

    def to_json(self) -> dict[str, str]:
        return {"policy": self.policy, "severity": self.severity, "code": self.code,
                "message": self.message, "location": self.location}


@dataclass(frozen=True)
class CheckResult:
    id: str
    status: Status
    summary: str
    evidence: tuple[str, ...] = ()
    hint: str = ""

    @property
    def title(self) -> str:
        return TITLES.get(self.id, self.id)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "status": self.status, "summary": self.summary,
                "evidence": list(self.evidence), "hint": self.hint}


@dataclass
class WorkloadReport:
    target: Target
    checks: list[CheckResult] = field(default_factory=list)
    lint: list[LintFinding] = field(default_factory=list)

    def check(self, check_id: str) -> CheckResult:
        return next(c for c in self.checks if c.id == check_id)

    @property
    def failed(self) -> bool:
        return any(c.status == "fail" for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        t = self.target
        return {"cluster": t.cluster, "namespace": t.namespace, "serviceAccount": t.service_account,
                "mode": t.mode, "bucket": t.bucket, "allowedPrefix": t.allowed_prefix,
                "blockedPrefix": t.blocked_prefix, "checks": [c.to_json() for c in self.checks],
                "lint": [f.to_json() for f in self.lint],
                "passed": sum(c.status == "pass" for c in self.checks), "total": len(self.checks)}


@dataclass
class Report:
    workloads: list[WorkloadReport] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(w.failed for w in self.workloads)

    def counts(self) -> tuple[int, int, int]:
        """(passed, failed, skipped) over every check of every workload."""
        every = [c.status for w in self.workloads for c in w.checks]
        return every.count("pass"), every.count("fail"), every.count("skip")

    def to_json(self) -> dict[str, Any]:
        passed, failed, skipped = self.counts()
        return {"workloads": [w.to_json() for w in self.workloads],
                "summary": {"passed": passed, "failed": failed, "skipped": skipped,
                            "total": passed + failed + skipped, "ok": not self.failed}}

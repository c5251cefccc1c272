"""What every check needs: the AWS and Kubernetes views, probe options, and the account."""

from __future__ import annotations

from dataclasses import dataclass, field

from podid.verify.aws import AwsView
from podid.verify.kube import KubeView
from podid.verify.probe import DEFAULT_IMAGE, ExecResult


@dataclass
class VerifyContext:
    aws: AwsView
    kube: KubeView
    image: str = DEFAULT_IMAGE
    start_timeout: float = 120
    exec_timeout: float = 60
    _account: str | None = None
    # the default ServiceAccount's probe results per (namespace, bucket, prefix): one probe pod each
    default_sa_cache: dict[tuple[str, str | None, str | None], list[ExecResult]] = field(default_factory=dict)

    @property
    def account(self) -> str:
        if self._account is None:
            self._account = self.aws.account()
        return self._account

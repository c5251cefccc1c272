"""The broker's configuration (the flags of ``podid broker``)."""

from __future__ import annotations

from dataclasses import dataclass

#: AssumeRole's default and the default MaxSessionDuration of an IAM role: asking for EKS Auth's
#: 6 h would fail (ValidationError) against every role whose maximum was not raised.
DEFAULT_SESSION_SECONDS = 3600
#: STS caps a chained session (a role session assuming a role) at one hour.
CHAINED_SESSION_SECONDS = 3600


@dataclass(frozen=True)
class BrokerConfig:
    """What the broker serves and where it gets its answers from."""

    cluster_name: str
    cluster_arn: str
    region: str
    sts_endpoint: str | None = None
    eks_endpoint: str | None = None
    ca_bundle: str | None = None
    session_seconds: int = DEFAULT_SESSION_SECONDS
    chained_session_seconds: int = CHAINED_SESSION_SECONDS

    def __post_init__(self) -> None:
        if not self.cluster_name:
            raise ValueError("cluster name is required")
        if not self.cluster_arn.startswith("arn:"):
            raise ValueError(f"cluster ARN {self.cluster_arn!r} is not an ARN")
        if not 900 <= self.session_seconds <= 43200:
            raise ValueError("session duration must be 900..43200 seconds")
        if not 900 <= self.chained_session_seconds <= 3600:
            raise ValueError("chained session duration must be 900..3600 seconds")

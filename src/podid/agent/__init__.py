"""podid.agent: the node agent, podid's eks-pod-identity-agent.

Serves the container-credentials endpoint (`/v1/credentials`) to pods, exchanging each pod's
service-account token for IAM credentials through EKS Auth `AssumeRoleForPodIdentity`, with the
real agent's validation, error bodies, cache and renewal rules.

Public API:
- `AgentConfig`, `Agent` (async), `AgentThread` (in a thread), `run` (blocking, signals);
- `Upstream` (the injectable `(cluster_name, token) -> PodCredentials` callable) and
  `EksAuthUpstream` (boto3 `eks-auth`, the real one);
- `Heartbeat` (callable taking `AgentStatus`), `HttpHeartbeat`, `HealthTracker`;
- `CredentialCache`, `PodCredentials`, `UpstreamError`, `UpstreamUnavailableError`.
"""

from podid.agent.cache import CredentialCache
from podid.agent.config import AgentConfig
from podid.agent.credentials import PodCredentials
from podid.agent.errors import UpstreamError, UpstreamUnavailableError
from podid.agent.health import AgentStatus, HealthTracker, Heartbeat, HttpHeartbeat
from podid.agent.server import Agent, AgentThread, run
from podid.agent.upstream import EksAuthUpstream, Upstream

__all__ = [
    "Agent",
    "AgentConfig",
    "AgentStatus",
    "AgentThread",
    "CredentialCache",
    "EksAuthUpstream",
    "HealthTracker",
    "Heartbeat",
    "HttpHeartbeat",
    "PodCredentials",
    "Upstream",
    "UpstreamError",
    "UpstreamUnavailableError",
    "run",
]

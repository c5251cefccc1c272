"""podid.imds: an IMDSv2-compatible instance metadata endpoint serving a node role (`podid up --node-role`).

* :mod:`podid.imds.app` - the Starlette app: IMDSv2 session tokens and the metadata paths SDKs read.
* :mod:`podid.imds.credentials` - the node role's instance-profile credentials (sessions minted by
  podid.sts, trust evaluated for ec2.amazonaws.com), cached and renewed before they expire.
* :mod:`podid.imds.server` - the loopback listener in a background thread.

It exists to show the blast radius the seeds warn about: a pod without Pod Identity falls back to
the node's role through the SDKs' credential chain.
"""

from podid.imds.app import create_imds_app
from podid.imds.credentials import NodeRoleCredentials
from podid.imds.server import ImdsServer

__all__ = ["ImdsServer", "NodeRoleCredentials", "create_imds_app"]

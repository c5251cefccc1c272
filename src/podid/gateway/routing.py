"""Which AWS service a request is for, as AWS's front door decides it.

In order: the SigV4 credential scope (``Authorization`` header or ``X-Amz-Credential``), the
``X-Amz-Target`` prefix, the Host name (``sts.amazonaws.com``, ``sqs.us-east-1.localhost``...),
then the query-protocol ``Action``/``Version`` of an unsigned form POST (STS
AssumeRoleWithWebIdentity), and finally S3 (which accepts anonymous requests on any path).
"""

from __future__ import annotations

from podid.auth.sigv4 import scope_service
from podid.protocol.models import service_for_signing_name, service_for_target
from podid.protocol.wire import WireRequest

#: Query-protocol API versions -> service, for unsigned form posts.
_QUERY_VERSIONS = {"2011-06-15": "sts", "2010-05-08": "iam"}
_STS_ACTIONS = {"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML", "GetCallerIdentity", "AssumeRole"}
_KNOWN_HOST_SERVICES = {"sts", "iam", "s3", "sqs", "dynamodb", "kms", "secretsmanager", "logs", "monitoring",
                        "eks", "eks-auth"}


def route(request: WireRequest) -> str:
    """The botocore service name for ``request``."""
    scoped = scope_service(request)
    if scoped:
        return service_for_signing_name(scoped)
    target = request.header("x-amz-target")
    if target:
        service = service_for_target(target)
        if service:
            return service
    labels = (request.host or "").lower().rsplit(":", 1)[0].split(".")
    for label in labels[:2]:  # "sts.amazonaws.com", "sqs.us-east-1.localhost", "bucket.s3.localhost"
        if label in _KNOWN_HOST_SERVICES:
            return service_for_signing_name(label)
    params = request.form_params() or (request.query_params() if "Action=" in request.query else {})
    action = params.get("Action")
    if action:
        version = params.get("Version", "")
        if version in _QUERY_VERSIONS:
            return _QUERY_VERSIONS[version]
        if action in _STS_ACTIONS:
            return "sts"
    return "s3"

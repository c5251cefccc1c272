"""podid.protocol: AWS wire protocols on the server side, for every service, from botocore models.

``parse(service, WireRequest) -> (operation, params)``;
``serialize_result(service, operation, result, request, request_id) -> starlette Response``;
``serialize_error(service, operation | None, ServiceError, request, request_id) -> Response``.
Backed by localstack-core's parser and serializer (see docs/decisions.md).
"""



from podid.protocol.codec import (  # noqa: E402
    parse,
    request_protocol,
    serialize_error,
    serialize_result,
    unknown_operation_error,
)
from podid.protocol.models import (  # noqa: E402
    UnknownService,
    service_for_signing_name,
    service_for_target,
    service_model,
    signing_name,
)
from podid.protocol.wire import WireRequest  # noqa: E402

__all__ = [
    "UnknownService",
    "WireRequest",
    "parse",
    "request_protocol",
    "serialize_error",
    "serialize_result",
    "service_for_signing_name",
    "service_for_target",
    "service_model",
    "signing_name",
    "unknown_operation_error",
]

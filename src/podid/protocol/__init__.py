"""podid.protocol: AWS wire protocols on the server side, for every service, from botocore models.

``parse(service, WireRequest) -> (operation, params)``;
``serialize_result(service, operation, result, request, request_id) -> starlette Response``;
``serialize_error(service, operation | None, ServiceError, request, request_id) -> Response``.
Backed by localstack-core's parser and serializer (see docs/decisions.md).
"""

import os

# localstack reads these at import time; keep it from looking for or creating its own dirs.
os.environ.setdefault("LOCALSTACK_VOLUME_DIR", os.devnull)
os.environ.setdefault("DISABLE_EVENTS", "1")
# localstack.config also appends its own hosts (incl. "[::1]", which httpx cannot parse) to
# no_proxy at import time; podid never asked for that, so those variables are put back as they were.
_saved_proxy_env = {name: os.environ.get(name) for name in ("no_proxy", "NO_PROXY")}

import localstack.config  # noqa: E402,F401

for _name, _value in _saved_proxy_env.items():
    if _value is None:
        os.environ.pop(_name, None)
    else:
        os.environ[_name] = _value

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

"""Backend lookups for request context: the :class:`~podid.dataplane.kit.Lookup` over moto.

Every method answers "unknown" (None / empty) rather than raising when the resource does not exist:
authorization then proceeds on what the request itself says, and the backend reports the
not-found error after an allow, as AWS does. Each lookup takes the service's backend lock.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

from podid.dataplane.backend import Backend


def _tags_dict(tags: Any, key: str = "Key", value: str = "Value") -> dict[str, str]:
    if not tags:
        return {}
    if isinstance(tags, dict) and "Tags" in tags:
        tags = tags["Tags"]
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    return {str(t[key]): str(t.get(value, "")) for t in tags if key in t}


def _policy_text(policy: Any) -> str | None:
    if policy is None or policy == "":
        return None
    if isinstance(policy, bytes):
        return policy.decode("utf-8")
    if isinstance(policy, dict):
        return json.dumps(policy)
    return str(policy)


class MotoLookup:
    """Reads the embedded moto's state for podid's account (implements ``Lookup``)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    @contextlib.contextmanager
    def _svc(self, service: str, region: str | None = None) -> Iterator[Any]:
        with self.backend.locked(service):
            yield self.backend.service_backend(service, region)

    # -- S3 ----------------------------------------------------------------------------------------
    def s3_object_tags(self, bucket: str, key: str, version_id: str | None) -> dict[str, str] | None:
        with self._svc("s3") as s3, contextlib.suppress(Exception):
            obj = s3.get_object(bucket, key, version_id=version_id)
            if obj is None:
                return None
            return _tags_dict(s3.get_object_tagging(obj))
        return None

    def s3_bucket_policy(self, bucket: str) -> str | None:
        with self._svc("s3") as s3, contextlib.suppress(Exception):
            return _policy_text(s3.get_bucket(bucket).policy)
        return None

    # -- Secrets Manager ---------------------------------------------------------------------------
    def _secret(self, sm: Any, secret_id: str) -> Any:
        return sm.secrets.get(secret_id)

    def secret_arn(self, region: str, secret_id: str) -> str | None:
        with self._svc("secretsmanager", region) as sm, contextlib.suppress(Exception):
            secret = self._secret(sm, secret_id)
            return str(secret.arn) if secret is not None else None
        return None

    def secret_tags(self, region: str, secret_id: str) -> dict[str, str]:
        with self._svc("secretsmanager", region) as sm, contextlib.suppress(Exception):
            secret = self._secret(sm, secret_id)
            return _tags_dict(getattr(secret, "tags", None)) if secret is not None else {}
        return {}

    def secret_policy(self, region: str, secret_id: str) -> str | None:
        with self._svc("secretsmanager", region) as sm, contextlib.suppress(Exception):
            secret = self._secret(sm, secret_id)
            return _policy_text(getattr(secret, "policy", None)) if secret is not None else None
        return None

    # -- SQS ---------------------------------------------------------------------------------------
    def sqs_tags(self, region: str, queue: str) -> dict[str, str]:
        with self._svc("sqs", region) as sqs, contextlib.suppress(Exception):
            q = sqs.queues.get(queue)
            return dict(q.tags) if q is not None else {}
        return {}

    def sqs_policy(self, region: str, queue: str) -> str | None:
        with self._svc("sqs", region) as sqs, contextlib.suppress(Exception):
            q = sqs.queues.get(queue)
            return _policy_text(q.policy) if q is not None else None
        return None

    # -- DynamoDB ----------------------------------------------------------------------------------
    def dynamodb_key_schema(self, region: str, table: str) -> tuple[str, str | None] | None:
        with self._svc("dynamodb", region) as ddb, contextlib.suppress(Exception):
            t = ddb.tables.get(table)
            if t is None:
                return None
            return str(t.hash_key_attr), (str(t.range_key_attr) if t.range_key_attr else None)
        return None

    def dynamodb_tags(self, region: str, table_arn: str) -> dict[str, str]:
        with self._svc("dynamodb", region) as ddb, contextlib.suppress(Exception):
            return _tags_dict(ddb.list_tags_of_resource(table_arn))
        return {}

    def dynamodb_policy(self, region: str, table_arn: str) -> str | None:
        with self._svc("dynamodb", region) as ddb, contextlib.suppress(Exception):
            policy = ddb.resource_policies.get(table_arn)
            return _policy_text(policy.policy_doc) if policy is not None else None
        return None

    # -- KMS ---------------------------------------------------------------------------------------
    def kms_key_id(self, region: str, key_ref: str) -> str | None:
        with self._svc("kms", region) as kms, contextlib.suppress(Exception):
            key_id = kms.any_id_to_key_id(key_ref)
            return str(key_id) if key_id in kms.keys else None
        return None

    def kms_key_id_from_ciphertext(self, region: str, blob: bytes) -> str | None:
        # moto's ciphertext format: the 36-character key id, then IV, tag and ciphertext
        from moto.kms.utils import KEY_ID_LEN

        with contextlib.suppress(UnicodeDecodeError):
            return self.kms_key_id(region, blob[:KEY_ID_LEN].decode("ascii"))
        return None

    def kms_tags(self, region: str, key_id: str) -> dict[str, str]:
        with self._svc("kms", region) as kms, contextlib.suppress(Exception):
            return _tags_dict(kms.list_resource_tags(key_id), "TagKey", "TagValue")
        return {}

    def kms_policy(self, region: str, key_id: str) -> str | None:
        with self._svc("kms", region) as kms, contextlib.suppress(Exception):
            return _policy_text(kms.get_key_policy(key_id))
        return None

    # -- Logs / CloudWatch -------------------------------------------------------------------------
    def logs_group_tags(self, region: str, group: str) -> dict[str, str]:
        with self._svc("logs", region) as logs, contextlib.suppress(Exception):
            return _tags_dict(logs.list_tags_log_group(group))
        return {}

    def cloudwatch_tags(self, region: str, arn: str) -> dict[str, str]:
        with self._svc("monitoring", region) as cw, contextlib.suppress(Exception):
            return _tags_dict(cw.list_tags_for_resource(arn))
        return {}

"""The ``PodIdentityAssociation`` custom resource: associations kept in the cluster itself, applied
with kubectl, for clusters without an EKS API.

``podid.dev/v1alpha1``, kind ``PodIdentityAssociation``, namespaced: an object in namespace N with
``spec.serviceAccount: S`` and ``spec.roleArn`` binds ServiceAccount N/S to the role, as EKS's
``CreatePodIdentityAssociation`` does (``targetRoleArn``, ``externalId``, ``disableSessionTags``,
``policy`` as there). Who may create these objects decides who may bind roles: grant ``create`` on
``podidentityassociations`` as narrowly as EKS's ``eks:CreatePodIdentityAssociation``.

:func:`definition` is the CRD (the chart in ``deploy/`` ships the same, a test keeps them equal);
:class:`CrdAssociations` is the broker's and webhook's :class:`AssociationSource` reading it with
the official ``kubernetes`` client. Two objects for one ServiceAccount fail closed (EKS allows one).
"""

from __future__ import annotations

import base64
import hashlib
import logging
from typing import Any

from podid.broker.associations import Association
from podid.eks import ids
from podid.eksauth import errors as eks_errors

log = logging.getLogger("podid.broker")

GROUP = "podid.dev"
VERSION = "v1alpha1"
KIND = "PodIdentityAssociation"
PLURAL = "podidentityassociations"
ROLE_ARN_PATTERN = r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$"


def definition() -> dict[str, Any]:
    """The ``apiextensions.k8s.io/v1`` CustomResourceDefinition."""
    role = {"type": "string", "pattern": ROLE_ARN_PATTERN, "maxLength": 2048}
    spec = {
        "type": "object",
        "required": ["serviceAccount", "roleArn"],
        "properties": {
            "serviceAccount": {"type": "string", "minLength": 1, "maxLength": 253,
                               "description": "The ServiceAccount (in this object's namespace) bound to "
                               "the role."},
            "roleArn": {**role, "description": "The IAM role pods of the ServiceAccount get."},
            "targetRoleArn": {**role, "description": "A role assumed with the first role's credentials "
                              "(cross-account), as EKS's targetRoleArn."},
            "externalId": {"type": "string", "maxLength": 1224,
                           "description": "sts:ExternalId for the target role."},
            "disableSessionTags": {"type": "boolean",
                                   "description": "Do not send the six EKS session tags."},
            "policy": {"type": "string", "maxLength": 2048,
                       "description": "A session policy narrowing the role's permissions."},
        },
    }
    status = {"type": "object", "properties": {"associationId": {"type": "string"},
                                                "associationArn": {"type": "string"}}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{PLURAL}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {"kind": KIND, "listKind": f"{KIND}List", "plural": PLURAL,
                      "singular": "podidentityassociation", "shortNames": ["pia"], "categories": ["podid"]},
            "versions": [{
                "name": VERSION, "served": True, "storage": True,
                "subresources": {"status": {}},
                "additionalPrinterColumns": [
                    {"name": "Service Account", "type": "string", "jsonPath": ".spec.serviceAccount"},
                    {"name": "Role", "type": "string", "jsonPath": ".spec.roleArn"},
                    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                ],
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": spec,
                                                                                 "status": status}}},
            }],
        },
    }


def association_id(uid: str) -> str:
    """A stable EKS-shaped id (``a-`` + 17 lowercase alphanumerics) derived from the object's uid."""
    digest = base64.b32encode(hashlib.sha256(uid.encode()).digest()).decode().lower()
    return "a-" + digest[:17]


class CrdAssociations:
    """Associations of one cluster read from its ``PodIdentityAssociation`` objects."""

    def __init__(self, api_client: Any, cluster_arn: str) -> None:
        from kubernetes import client

        self._api = client.CustomObjectsApi(api_client)
        parts = cluster_arn.split(":")
        if len(parts) < 6 or "/" not in parts[5]:
            raise ValueError(f"cluster ARN {cluster_arn!r} is not arn:aws:eks:REGION:ACCOUNT:cluster/NAME")
        self._region, self._account = parts[3], parts[4]
        self._cluster = parts[5].split("/", 1)[1]

    def find(self, namespace: str, service_account: str) -> Association | None:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        try:
            listed = self._api.list_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL,
                                                            _request_timeout=10)
        except ApiException as exc:
            log.warning("listing %s failed: HTTP %s %s", PLURAL, exc.status, exc.reason)
            raise eks_errors.service_unavailable("The Pod Identity association could not be looked up") \
                from None
        except (HTTPError, OSError) as exc:
            log.warning("listing %s failed: %s", PLURAL, type(exc).__name__)
            raise eks_errors.service_unavailable("The Pod Identity association could not be looked up") \
                from None
        items: list[dict[str, Any]] = list(listed.get("items") or []) if isinstance(listed, dict) else []
        matches = [item for item in items
                   if (item.get("spec") or {}).get("serviceAccount") == service_account
                   and not (item.get("metadata") or {}).get("deletionTimestamp")]
        if not matches:
            return None
        if len(matches) > 1:
            names = sorted(str(m["metadata"].get("name")) for m in matches)
            raise eks_errors.access_denied(
                f"More than one PodIdentityAssociation ({', '.join(names)}) names service account "
                f"{service_account} in namespace {namespace}; refusing to choose")
        item = matches[0]
        spec = item.get("spec") or {}
        assoc_id = association_id(str(item["metadata"].get("uid") or item["metadata"].get("name")))
        return Association(
            association_arn=ids.association_arn(self._region, self._account, self._cluster, assoc_id),
            association_id=assoc_id, role_arn=str(spec["roleArn"]),
            target_role_arn=spec.get("targetRoleArn") or None, external_id=spec.get("externalId") or None,
            disable_session_tags=bool(spec.get("disableSessionTags")), policy=spec.get("policy") or None)

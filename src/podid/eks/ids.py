"""EKS identifiers and ARNs: clusters, add-ons, Pod Identity associations, OIDC issuer ids."""

from __future__ import annotations

import re
import secrets
import string
import uuid

#: EKS cluster names: 1-100 chars, ``[0-9A-Za-z][A-Za-z0-9\-_]*`` (botocore ``eks``/``eks-auth`` models).
CLUSTER_NAME = re.compile(r"[0-9A-Za-z][A-Za-z0-9\-_]{0,99}")
#: Association ids: ``a-`` + 17 lowercase alphanumerics (e.g. ``a-dt1bedfjc72dlwp5n``).
ASSOCIATION_ID = re.compile(r"a-[0-9a-z]{17}")
_ID_ALPHABET = string.ascii_lowercase + string.digits


def new_association_id() -> str:
    """A fresh ``a-`` + 17 lowercase alphanumeric association id."""
    return "a-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(17))


def new_oidc_id() -> str:
    """A fresh 32-hex-digit (upper case) issuer id, the last segment of EKS issuer URLs."""
    return secrets.token_hex(16).upper()


def cluster_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:eks:{region}:{account}:cluster/{name}"


def addon_arn(region: str, account: str, cluster: str, addon: str, addon_uuid: str | None = None) -> str:
    """``arn:aws:eks:REGION:ACCT:addon/CLUSTER/NAME/<uuid>``."""
    return f"arn:aws:eks:{region}:{account}:addon/{cluster}/{addon}/{addon_uuid or uuid.uuid4()}"


def association_arn(region: str, account: str, cluster: str, association_id: str) -> str:
    """``arn:aws:eks:REGION:ACCT:podidentityassociation/CLUSTER/a-...``."""
    return f"arn:aws:eks:{region}:{account}:podidentityassociation/{cluster}/{association_id}"


def parse_role_arn(arn: str) -> tuple[str, str] | None:
    """``(account, role name)`` of ``arn:aws:iam::ACCT:role[/path]/NAME``, else None."""
    match = re.fullmatch(r"arn:aws[a-z-]*:iam::(\d{12}):role/(?:[\x21-\x7e]*/)?([\w+=,.@-]{1,64})", arn or "")
    return (match.group(1), match.group(2)) if match else None

"""Repository for IAM OpenID Connect identity providers (the IRSA trust anchor)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from podid.store import errors
from podid.store.base import StoreBase
from podid.store.records import OidcProviderRecord, Tags
from podid.store.schema.base import utcnow
from podid.store.schema.iam import OidcProvider
from podid.store.tags import merge_tags


def normalize_url(url: str) -> str:
    """IAM's form of an issuer URL: no scheme, no trailing slash."""
    for scheme in ("https://", "http://"):
        if url.lower().startswith(scheme):
            url = url[len(scheme) :]
    return url.rstrip("/")


def oidc_arn(account_id: str, url: str) -> str:
    return f"arn:aws:iam::{account_id}:oidc-provider/{normalize_url(url)}"


def _record(p: OidcProvider) -> OidcProviderRecord:
    return OidcProviderRecord(
        account_id=p.account_id,
        arn=p.arn,
        url=p.url,
        client_ids=list(p.client_ids),
        thumbprints=list(p.thumbprints),
        tags=list(p.tags),
        create_date=p.created_at,
    )


def _load(s: Session, arn: str) -> OidcProvider:
    p = s.scalar(select(OidcProvider).where(OidcProvider.arn == arn))
    if p is None:
        raise errors.no_oidc(arn)
    return p


class OidcRepo(StoreBase):
    """OIDC providers: create/get/list/delete, client ids, thumbprints, tags."""

    def create_oidc_provider(
        self,
        account_id: str,
        url: str,
        *,
        client_ids: list[str] | None = None,
        thumbprints: list[str] | None = None,
        tags: Tags | None = None,
    ) -> OidcProviderRecord:
        host = normalize_url(url)
        with self._write() as s:
            self._ensure_account(s, account_id)
            taken = s.scalar(
                select(OidcProvider).where(OidcProvider.account_id == account_id, OidcProvider.url == host)
            )
            if taken is not None:
                raise errors.EntityAlreadyExists(f"Provider with url https://{host} already exists.")
            p = OidcProvider(
                account_id=account_id,
                url=host,
                arn=oidc_arn(account_id, host),
                client_ids=list(dict.fromkeys(client_ids or [])),
                thumbprints=list(thumbprints or []),
                tags=merge_tags([], tags or [], [], "TagsPerOpenIDConnectProvider"),
                created_at=utcnow(),
            )
            s.add(p)
            s.flush()
            return _record(p)

    def get_oidc_provider(self, account_id: str, url: str) -> OidcProviderRecord | None:
        """By issuer URL (with or without https://), or None."""
        with self._read() as s:
            p = s.scalar(
                select(OidcProvider).where(
                    OidcProvider.account_id == account_id, OidcProvider.url == normalize_url(url)
                )
            )
            return _record(p) if p else None

    def get_oidc_provider_by_arn(self, arn: str) -> OidcProviderRecord | None:
        with self._read() as s:
            p = s.scalar(select(OidcProvider).where(OidcProvider.arn == arn))
            return _record(p) if p else None

    def list_oidc_providers(self, account_id: str) -> list[OidcProviderRecord]:
        with self._read() as s:
            rows = s.scalars(
                select(OidcProvider).where(OidcProvider.account_id == account_id).order_by(OidcProvider.arn)
            ).all()
            return [_record(p) for p in rows]

    def delete_oidc_provider(self, arn: str) -> None:
        with self._write() as s:
            s.delete(_load(s, arn))

    def add_oidc_client_id(self, arn: str, client_id: str) -> None:
        """Idempotent, as in IAM."""
        with self._write() as s:
            p = _load(s, arn)
            if client_id not in p.client_ids:
                p.client_ids = [*p.client_ids, client_id]

    def remove_oidc_client_id(self, arn: str, client_id: str) -> None:
        """Idempotent, as in IAM (removing an absent client id succeeds)."""
        with self._write() as s:
            p = _load(s, arn)
            p.client_ids = [c for c in p.client_ids if c != client_id]

    def update_oidc_thumbprints(self, arn: str, thumbprints: list[str]) -> None:
        with self._write() as s:
            _load(s, arn).thumbprints = list(thumbprints)

    def tag_oidc_provider(self, arn: str, tags: Tags) -> None:
        self._retag(lambda s: _load(s, arn), tags, [], "TagsPerOpenIDConnectProvider")

    def untag_oidc_provider(self, arn: str, keys: list[str]) -> None:
        self._retag(lambda s: _load(s, arn), [], keys, "TagsPerOpenIDConnectProvider")

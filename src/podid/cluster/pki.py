"""The Kubernetes listener's TLS material, kept in the state directory so kubeconfigs stay valid
across restarts of ``podid up``.

Layout: ``DIR/ca.crt`` (the CA kubectl trusts), ``DIR/kube/tls.crt`` + ``DIR/kube/tls.key``
(serving certificate for 127.0.0.1/localhost/::1, key mode 0600), ``DIR/kube/admin-token``
(the kubeconfig admin's bearer token, mode 0600). Everything is regenerated when missing,
unreadable or within :data:`RENEW_BEFORE` of expiry.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

from cryptography import x509

from podid.tls import ServingCert, issue, write_private

RENEW_BEFORE = dt.timedelta(days=7)
KUBE_DIR = "kube"


def _valid(cert_pem: str, now: dt.datetime) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
    except ValueError:
        return False
    return cert.not_valid_after_utc - RENEW_BEFORE > now


def load_or_create(state_dir: Path) -> ServingCert:
    """The persisted CA + serving certificate, created (or renewed) when needed."""
    kube = state_dir / KUBE_DIR
    kube.mkdir(parents=True, exist_ok=True, mode=0o700)
    ca_path, crt_path, key_path = state_dir / "ca.crt", kube / "tls.crt", kube / "tls.key"
    now = dt.datetime.now(dt.UTC)
    try:
        ca_pem, chain, key_pem = ca_path.read_text(), crt_path.read_text(), key_path.read_text()
        leaf = chain[: chain.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----")] + "\n"
        if _valid(ca_pem, now) and _valid(leaf, now) and key_pem.strip():
            return ServingCert(ca_pem=ca_pem, cert_pem=leaf, key_pem=key_pem)
    except (OSError, ValueError):
        pass
    cert = issue(common_name="podid-apiserver")
    write_private(key_path, cert.key_pem)
    write_private(crt_path, cert.cert_pem + cert.ca_pem)
    ca_path.write_text(cert.ca_pem)
    return cert


def admin_token(state_dir: Path) -> str:
    """The kubeconfig admin's bearer token (random, persisted with mode 0600)."""
    kube = state_dir / KUBE_DIR
    kube.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = kube / "admin-token"
    try:
        token = path.read_text().strip()
        if len(token) >= 32:
            return token
    except OSError:
        pass
    token = "podid-admin." + secrets.token_urlsafe(32)
    write_private(path, token)
    return token


def cert_paths(state_dir: Path) -> tuple[Path, Path]:
    """``(certfile, keyfile)`` for uvicorn (the certfile holds the leaf followed by the CA)."""
    kube = state_dir / KUBE_DIR
    return kube / "tls.crt", kube / "tls.key"

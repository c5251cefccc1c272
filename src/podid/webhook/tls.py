"""Serving certificates for the webhook: a self-signed CA and a serving cert signed by it.

The API server only calls webhooks over HTTPS and verifies the serving certificate against the
``caBundle`` of the MutatingWebhookConfiguration. :func:`build_webhook_tls` makes both (EC P-256,
SANs for the given DNS names and IPs); :func:`WebhookTLS.write` stores them (key files 0600) for
uvicorn's ``ssl_certfile``/``ssl_keyfile``. Used by tests and local runs; a real deployment may
bring its own certificates (cert-manager, the cluster's CSR API).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class WebhookTLS:
    """PEM material: the CA certificate (the caBundle) and the serving cert + key."""

    ca_cert_pem: bytes
    ca_key_pem: bytes
    cert_pem: bytes
    key_pem: bytes

    def write(self, directory: str | os.PathLike[str]) -> tuple[Path, Path, Path]:
        """Write ``ca.crt``, ``tls.crt``, ``tls.key`` (+ ``ca.key``), keys 0600; returns
        ``(certfile, keyfile, cafile)``."""
        path = Path(directory)
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        files = {"ca.crt": self.ca_cert_pem, "ca.key": self.ca_key_pem, "tls.crt": self.cert_pem,
                 "tls.key": self.key_pem}
        for name, data in files.items():
            mode = 0o600 if name.endswith(".key") else 0o644
            fd = os.open(path / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), mode)
                handle.write(data)
        return path / "tls.crt", path / "tls.key", path / "ca.crt"


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def build_webhook_tls(
    hosts: Sequence[str] = ("127.0.0.1", "localhost"),
    *,
    ca_name: str = "podid-webhook-ca",
    days: int = 365,
    now: datetime.datetime | None = None,
) -> WebhookTLS:
    """A fresh CA and a serving certificate for ``hosts`` (DNS names and/or IP addresses)."""
    if not hosts:
        raise ValueError("at least one host is required")
    start = (now or datetime.datetime.now(datetime.UTC)) - datetime.timedelta(minutes=5)
    end = start + datetime.timedelta(days=days)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ca_name)])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_subject).issuer_name(ca_subject)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    sans: list[x509.GeneralName] = []
    for host in hosts:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            sans.append(x509.DNSName(host))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return WebhookTLS(
        ca_cert_pem=ca_cert.public_bytes(serialization.Encoding.PEM),
        ca_key_pem=_key_pem(ca_key),
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        key_pem=_key_pem(key),
    )


def uvicorn_ssl_options(certfile: str | os.PathLike[str], keyfile: str | os.PathLike[str]) -> dict[str, str]:
    """Keyword arguments for ``uvicorn.Config``/``uvicorn.run`` to serve HTTPS."""
    return {"ssl_certfile": str(certfile), "ssl_keyfile": str(keyfile)}

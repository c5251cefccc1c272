"""The one self-signed-CA helper: a fresh local CA and a serving certificate signed by it.

Used wherever podid serves HTTPS on its own: the clusters' Kubernetes API (kubectl sends bearer
tokens only over TLS), the OIDC issuers, the admission webhook (the API server verifies it against
the MutatingWebhookConfiguration's ``caBundle``). EC P-256, SANs for the given IPs and DNS names,
subject/authority key identifiers. A real deployment may bring its own certificates instead
(cert-manager, the cluster's CSR API).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class TlsFiles(NamedTuple):
    """Where :meth:`ServingCert.write` put things: ``cert`` is the chain (leaf + CA)."""

    cert: Path
    key: Path
    ca: Path


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` atomically with ``text``, readable by its owner only (0600)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)
    os.replace(tmp, path)


@dataclass(frozen=True)
class ServingCert:
    """PEM material: the CA certificate (the trust anchor / caBundle), its key, the serving cert + key."""

    ca_pem: str
    cert_pem: str
    key_pem: str
    ca_key_pem: str = ""

    @property
    def ca_bundle(self) -> bytes:
        return self.ca_pem.encode("ascii")

    def write(self, directory: str | os.PathLike[str]) -> TlsFiles:
        """Write ``ca.crt``, ``tls.crt`` (leaf + CA), ``tls.key`` and, if known, ``ca.key``; keys 0600."""
        path = Path(directory)
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        files = TlsFiles(path / "tls.crt", path / "tls.key", path / "ca.crt")
        files.ca.write_text(self.ca_pem)
        files.cert.write_text(self.cert_pem + self.ca_pem)
        write_private(files.key, self.key_pem)
        if self.ca_key_pem:
            write_private(path / "ca.key", self.ca_key_pem)
        return files


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _sans(hosts: Sequence[str]) -> list[x509.GeneralName]:
    out: list[x509.GeneralName] = []
    for host in hosts:
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            out.append(x509.DNSName(host))
    return out


def issue(hosts: Sequence[str] = LOOPBACK_HOSTS, *, ca_name: str = "podid-local-ca",
          common_name: str | None = None, days: int = 365, now: dt.datetime | None = None) -> ServingCert:
    """A fresh CA and a serving certificate for ``hosts`` (IP addresses and/or DNS names)."""
    if not hosts:
        raise ValueError("at least one host is required")
    start = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(minutes=5)
    end = start + dt.timedelta(days=days)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(ca_name)).issuer_name(_name(ca_name))
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
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name or hosts[0])).issuer_name(ca_cert.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName(_sans(hosts)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return ServingCert(ca_pem=ca_cert.public_bytes(pem).decode(), cert_pem=cert.public_bytes(pem).decode(),
                       key_pem=_pem(key), ca_key_pem=_pem(ca_key))


def uvicorn_ssl_options(certfile: str | os.PathLike[str], keyfile: str | os.PathLike[str]) -> dict[str, str]:
    """Keyword arguments for ``uvicorn.Config``/``uvicorn.run`` to serve HTTPS."""
    return {"ssl_certfile": str(certfile), "ssl_keyfile": str(keyfile)}

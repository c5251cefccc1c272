"""deploy/manifests/podid.yaml cannot drift from the chart: it equals a fresh render by
scripts/render_manifests.py (helm template, default values), holds no key material, and every
document parses; ``--check`` notices a stale file."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import yaml

from support.helm import ROOT
from support.server import BIN

SCRIPT = ROOT / "scripts" / "render_manifests.py"
MANIFEST = ROOT / "deploy" / "manifests" / "podid.yaml"
PLACEHOLDERS = ("${PODID_CA_CRT}", "${PODID_WEBHOOK_TLS_CRT}", "${PODID_WEBHOOK_TLS_KEY}",
                "${PODID_BROKER_TLS_CRT}", "${PODID_BROKER_TLS_KEY}")


def script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "python"), str(SCRIPT), *args], capture_output=True, text=True,
                          timeout=120, check=False, cwd=ROOT)


def test_checked_in_manifest_equals_a_fresh_render() -> None:
    fresh = script("--stdout")
    assert fresh.returncode == 0, fresh.stderr
    assert MANIFEST.read_text() == fresh.stdout, "deploy/manifests/podid.yaml is stale: run " \
        "`.venv/bin/python scripts/render_manifests.py` (or `make manifests`)"
    assert script("--check").returncode == 0


def test_check_fails_on_a_stale_copy(tmp_path: Path) -> None:
    stale = tmp_path / "podid.yaml"
    stale.write_text(MANIFEST.read_text().replace("failurePolicy: Ignore", "failurePolicy: Fail"))
    done = script("--check", "-o", str(stale))
    assert done.returncode == 1 and "is stale" in done.stderr


def test_manifest_documents_parse_and_hold_no_key_material() -> None:
    text = MANIFEST.read_text()
    docs = [d for d in yaml.safe_load_all(text) if d]
    kinds = [d["kind"] for d in docs]
    assert kinds[0] == "Namespace" and docs[0]["metadata"]["name"] == "podid"
    assert kinds.count("CustomResourceDefinition") == 1 and "DaemonSet" in kinds
    for placeholder in PLACEHOLDERS:
        assert placeholder in text
    assert "PRIVATE KEY" not in text and base64.b64encode(b"-----BEGIN").decode() not in text
    mwc = next(d for d in docs if d["kind"] == "MutatingWebhookConfiguration")
    assert mwc["webhooks"][0]["clientConfig"]["caBundle"] == "${PODID_CA_CRT}"


def test_tls_mode_writes_generated_certificates_but_never_into_the_repository(tmp_path: Path) -> None:
    refused = script("--tls")
    assert refused.returncode == 2 and "holds private keys" in refused.stderr
    out = tmp_path / "podid-tls.yaml"
    done = script("--tls", "-o", str(out))
    assert done.returncode == 0, done.stderr
    docs = [d for d in yaml.safe_load_all(out.read_text()) if d]
    secret = next(d for d in docs if d["kind"] == "Secret" and d["metadata"]["name"] == "podid-webhook-tls")
    assert base64.b64decode(secret["data"]["tls.key"]).startswith(b"-----BEGIN RSA PRIVATE KEY-----")
    assert not [p for p in PLACEHOLDERS if p in out.read_text()]


def test_fill_tls_replaces_only_the_placeholders_with_a_working_chain(tmp_path: Path) -> None:
    from cryptography import x509

    done = subprocess.run([str(ROOT / "deploy" / "manifests" / "fill-tls.sh"), str(MANIFEST), str(tmp_path)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert not [p for p in PLACEHOLDERS if p in done.stdout]
    assert 'ip link show dev "$link"' in done.stdout and '"${link}p"' in done.stdout  # script untouched
    docs = [d for d in yaml.safe_load_all(done.stdout) if d]
    mwc = next(d for d in docs if d["kind"] == "MutatingWebhookConfiguration")
    ca = x509.load_pem_x509_certificate(base64.b64decode(mwc["webhooks"][0]["clientConfig"]["caBundle"]))
    for component in ("webhook", "broker"):
        secret = next(d for d in docs
                      if d["kind"] == "Secret" and d["metadata"]["name"] == f"podid-{component}-tls")
        cert = x509.load_pem_x509_certificate(base64.b64decode(secret["data"]["tls.crt"]))
        cert.verify_directly_issued_by(ca)
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert f"podid-{component}.podid.svc" in sans.get_values_for_type(x509.DNSName)
        assert base64.b64decode(secret["data"]["tls.key"]).startswith(b"-----BEGIN PRIVATE KEY-----")
    assert (tmp_path / "ca.key").stat().st_mode & 0o077 == 0     # keys readable by their owner only

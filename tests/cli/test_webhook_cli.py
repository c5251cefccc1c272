"""`podid webhook` refuses bad input with exit 2 and a message naming the flag, before it writes a
certificate or binds a port."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from support.server import PODID, clean_env, free_port


def _run(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = clean_env()
    env.update({"COLUMNS": "250", "AWS_REGION": "us-east-1", "TERM": "dumb"})
    return subprocess.run([str(PODID), "webhook", "--host", "127.0.0.1", "--port", str(free_port()), *args],
                          capture_output=True, text=True, env=env, cwd=tmp, timeout=60)


def _flat(text: str) -> str:
    """The error box's text on one line (rich draws a frame around it)."""
    return " ".join(text.replace("│", " ").split())


@pytest.mark.parametrize(("args", "message"), [
    (["--tls-cert-file", "tls.crt"],
     "give --tls-cert-file and --tls-key-file together, or --self-signed"),
    ([], "the API server calls webhooks over HTTPS only"),
    (["--self-signed", "--tls-key-file", "tls.key"],
     "give either --self-signed or --tls-cert-file with --tls-key-file"),
    (["--self-signed", "--token-expiration", "599"], "must be at least 600 seconds"),
    (["--self-signed", "--agent-daemonset", "eks-pod-identity-agent"], "expected NAMESPACE/NAME"),
    (["--tls-cert-file", "nope.crt", "--tls-key-file", "nope.key"], "nope.crt is not a readable file"),
    (["--tls-cert-file", "tls.crt", "--tls-key-file", "tls.key", "--webhook-config", "mwc.json"],
     "--webhook-config needs --self-signed"),
])
def test_bad_flags_exit_2_and_write_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "tls.crt").write_text("x")
    (tmp_path / "tls.key").write_text("x")
    certs = tmp_path / "certs"
    done = _run(tmp_path, "--cluster-name", "lab", "--cert-dir", str(certs), *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in _flat(done.stderr), done.stderr
    assert "Traceback" not in done.stderr
    assert not certs.exists() and not (tmp_path / "mwc.json").exists()


def test_missing_cluster_name_and_region(tmp_path: Path) -> None:
    done = _run(tmp_path, "--self-signed", "--cert-dir", str(tmp_path / "c"))
    assert done.returncode == 2 and "--cluster-name" in _flat(done.stderr)
    env = clean_env()
    env["COLUMNS"] = "250"
    done = subprocess.run([str(PODID), "webhook", "-c", "lab", "--self-signed", "--cert-dir",
                           str(tmp_path / "c")], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2 and "no region for the EKS API" in _flat(done.stderr), done.stderr
    assert not (tmp_path / "c").exists()


def test_a_certificate_that_does_not_load_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "tls.crt").write_text("-----BEGIN CERTIFICATE-----\nnot a certificate\n")
    (tmp_path / "tls.key").write_text("not a key\n")
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text('{"apiVersion": "v1", "kind": "Config", "current-context": "c", "contexts": '
                          '[{"name": "c", "context": {"cluster": "k", "user": "u"}}], "clusters": '
                          '[{"name": "k", "cluster": {"server": "https://127.0.0.1:1"}}], "users": '
                          '[{"name": "u", "user": {"token": "t"}}]}')
    done = _run(tmp_path, "-c", "lab", "--tls-cert-file", "tls.crt", "--tls-key-file", "tls.key",
                "--kubeconfig", str(kubeconfig))
    assert done.returncode == 2, done.stderr
    assert "cannot load the certificate and key" in _flat(done.stderr) and "Traceback" not in done.stderr


def test_unreadable_kubeconfig_is_a_usage_error(tmp_path: Path) -> None:
    done = _run(tmp_path, "-c", "lab", "--self-signed", "--cert-dir", str(tmp_path / "c"),
                "--kubeconfig", str(tmp_path / "missing-kubeconfig"))
    assert done.returncode == 2, done.stderr
    assert "cannot load the Kubernetes configuration" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "c").exists()

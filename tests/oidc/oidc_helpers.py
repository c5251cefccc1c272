"""Helpers for the oidc tests: raw JWS forging (the loopback server is `support.threaded_server`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

NOW = 1_750_000_000
ISSUER_A = "https://oidc.eks.ap-northeast-2.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
ISSUER_B = "https://oidc.eks.ap-northeast-2.amazonaws.com/id/FEDCBA9876543210FEDCBA9876543210"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def enc(obj: Any) -> str:
    raw = obj if isinstance(obj, (bytes, str)) else json.dumps(obj, separators=(",", ":"))
    return b64(raw.encode() if isinstance(raw, str) else raw)


def sign_rs(key: rsa.RSAPrivateKey, header: Any, payload: Any, digest: Any = None) -> str:
    """A compact JWS over arbitrary header/payload (dicts or raw JSON text), PKCS#1 v1.5."""
    signing_input = f"{enc(header)}.{enc(payload)}".encode()
    sig = key.sign(signing_input, padding.PKCS1v15(), digest or hashes.SHA256())
    return f"{signing_input.decode()}.{b64(sig)}"


def sign_pss(key: rsa.RSAPrivateKey, header: Any, payload: Any) -> str:
    signing_input = f"{enc(header)}.{enc(payload)}".encode()
    sig = key.sign(
        signing_input,
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
        hashes.SHA256(),
    )
    return f"{signing_input.decode()}.{b64(sig)}"


def sign_hs(secret: bytes, header: Any, payload: Any) -> str:
    signing_input = f"{enc(header)}.{enc(payload)}".encode()
    return f"{signing_input.decode()}.{b64(hmac.new(secret, signing_input, hashlib.sha256).digest())}"


def decode_part(token: str, index: int) -> dict[str, Any]:
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))

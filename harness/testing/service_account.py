"""Service accounts for the local Sheets server: a real RSA key and JWT-bearer verification.

google-auth signs a JWT with the account's private key and posts it to `token_uri`; the
server checks the signature with the public key, as Google's token endpoint does.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


@dataclass(frozen=True)
class ServiceAccount:
    """A generated service account: its key-file content and public key."""

    email: str
    info: dict
    public_key: rsa.RSAPublicKey


_KEYS: dict[str, rsa.RSAPrivateKey] = {}


def new_service_account(token_uri: str, email: str) -> ServiceAccount:
    """A service account with an RSA-2048 key (one per e-mail and process: generating keys
    is slow) whose key file points at `token_uri`."""
    if email not in _KEYS:
        _KEYS[email] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key = _KEYS[email]
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "harness-local",
        "private_key_id": "local-" + hex(abs(hash(email)))[2:10],
        "private_key": pem,
        "client_email": email,
        "client_id": "1",
        "token_uri": token_uri,
    }
    return ServiceAccount(email, info, key.public_key())


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class InvalidGrant(Exception):
    """The JWT assertion is not acceptable (unknown issuer, bad signature, expired)."""


def verify_assertion(assertion: str, keys: dict[str, rsa.RSAPublicKey], audience: str) -> str:
    """The issuer e-mail of a valid RS256 JWT-bearer assertion; raises InvalidGrant."""
    try:
        header_b64, payload_b64, signature_b64 = assertion.split(".")
        header = json.loads(_b64decode(header_b64))
        payload = json.loads(_b64decode(payload_b64))
    except ValueError:
        raise InvalidGrant("Invalid JWT: malformed") from None
    key = keys.get(payload.get("iss", ""))
    if key is None or header.get("alg") != "RS256":
        raise InvalidGrant("Invalid grant: account not found")
    try:
        key.verify(_b64decode(signature_b64), f"{header_b64}.{payload_b64}".encode(),
                   padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise InvalidGrant("Invalid JWT Signature.") from None
    if payload.get("aud") != audience or payload.get("exp", 0) < time.time():
        raise InvalidGrant("Invalid JWT: Token must be a short-lived token and in a reasonable "
                           "timeframe")
    return payload["iss"]

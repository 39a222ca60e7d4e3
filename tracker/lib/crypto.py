"""Column encryption for personal data: AES-256-GCM under a key ring.

Written on top of `cryptography`'s AESGCM rather than taken from a field package because
the packages we found use Fernet (AES-CBC + HMAC) and none binds a value to its column or
supports a ring of several decrypting keys with one encrypting key.

A stored value reads `v1:<key id>:<base64(nonce || ciphertext || tag)>`. The key id is the
first 8 hex digits of the key's SHA-256, so a value names the key that can open it; the
column's name is the associated data, so a value copied into another column fails to open.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "v1"
NONCE_BYTES = 12


class DecryptionError(Exception):
    pass


def generate_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _decode_key(text: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode())
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS holds a key that is not base64") from None
    if len(raw) != 32:
        raise ImproperlyConfigured("Each FIELD_ENCRYPTION_KEYS key must be 32 bytes (base64)")
    return raw


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


class KeyRing:
    """The first key encrypts; every key decrypts."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty")
        self.current_id = key_id(keys[0])
        self._ciphers = {key_id(key): AESGCM(key) for key in keys}
        self._current = self._ciphers[self.current_id]

    def encrypt(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._current.encrypt(nonce, plaintext.encode(), context.encode())
        body = base64.urlsafe_b64encode(nonce + sealed).decode()
        return f"{PREFIX}:{self.current_id}:{body}"

    def decrypt(self, stored: str, *, context: str) -> str:
        try:
            prefix, kid, body = stored.split(":", 2)
            blob = base64.urlsafe_b64decode(body.encode())
        except (ValueError, binascii.Error):
            raise DecryptionError("not an encrypted value") from None
        cipher = self._ciphers.get(kid)
        if prefix != PREFIX or cipher is None:
            raise DecryptionError(f"no key {kid!r} in the key ring")
        try:
            plain = cipher.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode())
        except InvalidTag:
            raise DecryptionError("the value was altered or belongs to another column") from None
        return plain.decode()

    def is_current(self, stored: str) -> bool:
        return stored.startswith(f"{PREFIX}:{self.current_id}:")


def _configured_keys() -> list[bytes]:
    configured = settings.FIELD_ENCRYPTION_KEYS
    if configured:
        return [_decode_key(text) for text in configured]
    if settings.PRODUCTION:
        raise ImproperlyConfigured("Set FIELD_ENCRYPTION_KEYS in production")
    return [_decode_key(_development_key(Path(settings.FIELD_ENCRYPTION_KEY_FILE)))]


def _development_key(path: Path) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(generate_key())
        path.chmod(0o600)
    return path.read_text().strip()


@lru_cache(maxsize=1)
def key_ring() -> KeyRing:
    return KeyRing(_configured_keys())


def reset_key_ring() -> None:
    """Forget the cached ring (after the settings change: tests, key rotation)."""
    key_ring.cache_clear()

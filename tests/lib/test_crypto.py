"""AES-GCM column encryption under a key ring."""

from __future__ import annotations

import base64

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st

from tracker.lib.crypto import DecryptionError, KeyRing, generate_key

K1, K2 = generate_key(), generate_key()


def ring(*keys: str) -> KeyRing:
    return KeyRing([base64.urlsafe_b64decode(k) for k in keys])


@given(st.text(max_size=500))
def test_any_text_survives_the_round_trip(text):
    sealed = ring(K1).encrypt(text, context="t.c")
    assert ring(K1).decrypt(sealed, context="t.c") == text


def test_the_same_value_encrypts_differently_each_time():
    keys = ring(K1)
    assert keys.encrypt("0821234567", context="t.c") != keys.encrypt("0821234567", context="t.c")


def test_a_value_is_bound_to_its_column():
    sealed = ring(K1).encrypt("secret", context="students.phone")
    with pytest.raises(DecryptionError):
        ring(K1).decrypt(sealed, context="students.email")


def test_a_tampered_value_does_not_open():
    sealed = ring(K1).encrypt("secret", context="t.c")
    prefix, kid, body = sealed.split(":")
    raw = bytearray(base64.urlsafe_b64decode(body))
    raw[-1] ^= 1
    tampered = f"{prefix}:{kid}:{base64.urlsafe_b64encode(bytes(raw)).decode()}"
    with pytest.raises(DecryptionError):
        ring(K1).decrypt(tampered, context="t.c")


def test_the_first_key_encrypts_and_every_key_decrypts():
    old = ring(K1).encrypt("kept", context="t.c")
    rotated = ring(K2, K1)
    assert rotated.decrypt(old, context="t.c") == "kept"
    assert not rotated.is_current(old)
    assert rotated.is_current(rotated.encrypt("new", context="t.c"))


def test_a_value_under_a_removed_key_fails_clearly():
    old = ring(K1).encrypt("kept", context="t.c")
    with pytest.raises(DecryptionError, match="no key"):
        ring(K2).decrypt(old, context="t.c")


@pytest.mark.parametrize("bad", ["not base64!", base64.urlsafe_b64encode(b"short").decode()])
def test_bad_keys_are_refused_at_start(bad):
    from tracker.lib.crypto import _decode_key

    with pytest.raises(ImproperlyConfigured):
        _decode_key(bad)


def test_garbage_is_not_mistaken_for_ciphertext():
    with pytest.raises(DecryptionError):
        ring(K1).decrypt("plain text", context="t.c")


@pytest.mark.django_db
def test_a_bad_date_string_is_a_field_error_not_a_crash(admin):
    from django.core.exceptions import ValidationError

    from tracker.students.services import student_create

    with pytest.raises(ValidationError) as excinfo:
        student_create(actor=admin, first_name="A", last_name="B", date_of_birth="31/02/2010")
    assert "date_of_birth" in excinfo.value.message_dict

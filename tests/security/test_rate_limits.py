"""API rate limits: per token when signed in, per client address otherwise; 429 with
Retry-After; the address is the one the trusted proxies saw, not one the client claims."""

from __future__ import annotations

from unittest.mock import patch

import pytest
import redis
from django.core.cache.backends.redis import RedisCache
from django.test import RequestFactory, override_settings
from ninja.throttling import BaseThrottle

from tracker.accounts.tokens import token_issue
from tracker.core.request_context import client_ip
from tracker.core.throttling import TokenThrottle, parse_rate

pytestmark = pytest.mark.django_db

ROOT = "/api/v1/"  # open to everyone, so anonymous calls reach the limit, not a 401
ME = "/api/v1/me"
# Hour-long windows: a test never straddles one, so the counts are exact.
THREE_AN_HOUR = {"API_RATE_LIMIT_ANON": "3/h", "API_RATE_LIMIT_USER": "3/h"}
REDIS_TEST_DB = "redis://127.0.0.1:6379/9"


def statuses(client, url, count, **extra) -> list[int]:
    return [client.get(url, **extra).status_code for _ in range(count)]


@override_settings(**THREE_AN_HOUR)
def test_an_address_over_its_limit_gets_429_with_retry_after(client):
    assert statuses(client, ROOT, 3, REMOTE_ADDR="198.51.100.1") == [200] * 3
    refused = client.get(ROOT, REMOTE_ADDR="198.51.100.1")
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert 1 <= int(refused["Retry-After"]) <= 3600
    # Another address has its own allowance.
    assert client.get(ROOT, REMOTE_ADDR="198.51.100.2").status_code == 200


@override_settings(**THREE_AN_HOUR)
def test_a_token_over_its_limit_gets_429_and_another_token_does_not(client, tutor):
    first = {"HTTP_AUTHORIZATION": f"Bearer {token_issue(user=tutor).access_token}"}
    second = {"HTTP_AUTHORIZATION": f"Bearer {token_issue(user=tutor).access_token}"}
    assert statuses(client, ME, 3, **first) == [200] * 3
    refused = client.get(ME, **first)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert client.get(ME, **second).status_code == 200


@override_settings(**THREE_AN_HOUR)
def test_signed_in_calls_do_not_spend_the_addresss_allowance(client, tutor, bearer):
    """Signed-in calls count against the token, so a school's shared address is not
    locked out by its tutors' apps."""
    headers = bearer(tutor)
    assert statuses(client, ME, 3, **headers) == [200] * 3
    assert statuses(client, ROOT, 3) == [200] * 3


@override_settings(**THREE_AN_HOUR)
def test_a_browser_session_is_limited_per_session(client, tutor):
    client.force_login(tutor)
    assert statuses(client, ME, 3) == [200] * 3
    assert client.get(ME).status_code == 429


@override_settings(**THREE_AN_HOUR, NINJA_NUM_PROXIES=0)
def test_without_trusted_proxies_a_forged_forwarded_for_changes_nothing(client):
    codes = [
        client.get(ROOT, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code
        for n in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]


@override_settings(**THREE_AN_HOUR, NINJA_NUM_PROXIES=1)
def test_behind_one_proxy_the_right_most_forwarded_address_is_the_client(client):
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    # The client prepends whatever it likes; the proxy appends the address it saw.
    codes = [
        client.get(ROOT, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 198.51.100.7", **proxy).status_code
        for n in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]
    # Another real client behind the same proxy is not affected.
    other = client.get(ROOT, HTTP_X_FORWARDED_FOR="198.51.100.8", **proxy)
    assert other.status_code == 200


@pytest.mark.parametrize("num_proxies", [0, 1, 2])
@pytest.mark.parametrize(
    "forwarded", ["", "198.51.100.7", "192.0.2.1, 198.51.100.7", "a, b, 198.51.100.7"]
)
def test_the_address_rule_is_the_same_as_ninjas(settings, num_proxies, forwarded):
    """Our client address and ninja's throttle identity read NINJA_NUM_PROXIES alike."""
    settings.NINJA_NUM_PROXIES = num_proxies
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", **extra)
    ours, ninjas = client_ip(request), BaseThrottle().get_ident(request)
    entries = [entry for entry in forwarded.split(",") if entry.strip()]
    if ninjas in {"a", "b"} or 0 < len(entries) < num_proxies:
        # Where they differ we are stricter: a malformed entry, or fewer entries than
        # trusted proxies (the chain was bypassed), counts as the nearest hop.
        assert ours == "10.0.0.1"
    else:
        assert ours == ninjas


@override_settings(**THREE_AN_HOUR)
def test_the_rate_is_read_per_request_so_a_new_setting_applies_at_once(client):
    assert statuses(client, ROOT, 4) == [200, 200, 200, 429]
    with override_settings(API_RATE_LIMIT_ANON="10/h"):
        assert client.get(ROOT).status_code == 200


def test_the_counts_live_in_redis_when_it_is_configured(client):
    """With REDIS_URL every worker shares one count (here Redis database 9)."""
    server = redis.Redis.from_url(REDIS_TEST_DB)
    server.flushdb()
    caches = {
        "default": {
            "BACKEND": "tracker.core.redis_cache.RedisCache",
            "LOCATION": REDIS_TEST_DB,
        }
    }

    def extra_round_trip(*args, **kwargs):
        raise AssertionError("Django's add/incr cost an extra round trip each")

    try:
        # One pipelined INCR + EXPIRE per request; not Django's add (SET NX) or incr
        # (EXISTS, then INCR).
        with (
            override_settings(CACHES=caches, **THREE_AN_HOUR),
            patch.object(RedisCache, "add", extra_round_trip),
            patch.object(RedisCache, "incr", extra_round_trip),
        ):
            assert statuses(client, ROOT, 4, REMOTE_ADDR="198.51.100.3") == [200] * 3 + [429]
        keys = [key.decode() for key in server.keys("*throttle:address:*")]
        assert len(keys) == 1
        assert "198.51.100.3" in keys[0]
        assert int(server.get(keys[0])) == 4
        assert 0 < server.ttl(keys[0]) <= 3601
    finally:
        server.flushdb()


def test_tokens_and_session_keys_are_not_kept_in_the_cache_keys(rf, tutor):
    token = token_issue(user=tutor).access_token
    request = rf.get("/", HTTP_AUTHORIZATION=f"Bearer {token}")
    request.auth = tutor
    identity = TokenThrottle().identity(request)
    assert identity.startswith("bearer-")
    assert token not in identity


@pytest.mark.parametrize(
    ("rate", "parsed"), [("600/m", (600, 60)), ("60/min", (60, 60)), ("10/5m", (10, 300)),
                         ("1000/d", (1000, 86400)), ("5/s", (5, 1))]
)  # fmt: skip
def test_rates_are_parsed_like_ninjas(rate, parsed):
    assert parse_rate(rate) == parsed


@pytest.mark.parametrize("rate", ["600", "x/m", "10/fortnight", "/m"])
def test_a_malformed_rate_is_refused(rate):
    with pytest.raises(ValueError, match="Invalid rate"):
        parse_rate(rate)


def test_the_default_rates_are_the_settings(settings):
    assert parse_rate(settings.API_RATE_LIMIT_USER) == (600, 60)
    assert parse_rate(settings.API_RATE_LIMIT_ANON) == (60, 60)


def test_a_window_that_expires_between_add_and_incr_counts_from_one(rf, monkeypatch):
    from django.core.cache import cache

    from tracker.core.throttling import AddressThrottle

    throttle, request = AddressThrottle(), rf.get("/", REMOTE_ADDR="198.51.100.4")
    request.auth = None
    monkeypatch.setattr(cache, "add", lambda *args, **kwargs: False)

    def expired(key):
        raise ValueError(key)

    monkeypatch.setattr(cache, "incr", expired)
    assert throttle.allow_request(request) is True
    assert throttle.wait() is None

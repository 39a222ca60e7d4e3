"""A repeated calendar feed or student list is answered by CachedReadMiddleware from Redis,
without the database and with the API's checks; anything it cannot vouch for goes to the
API (tracker/core/cached_reads.py).

These run against the real Redis of the machine (a database of its own, keys under a
prefix of their own): the middleware reads versions and counts the rate limit in one
Redis pipeline, which the in-memory stand-in of the other cache tests does not have."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from tests.caching import answered, headers_of
from tests.scheduling.conftest import at
from tests.scheduling.test_feed_cache import WEEK, feed
from tests.students.conftest import StudentFactory
from tracker.accounts import tokens
from tracker.accounts.models import Role
from tracker.accounts.services import user_update
from tracker.core import cached_reads
from tracker.org.models import Subject
from tracker.scheduling import cached as scheduling_cached
from tracker.scheduling import selectors
from tracker.scheduling.api import feed_body
from tracker.students.services import student_update

pytestmark = pytest.mark.django_db


def learned(read, client, headers):
    """Three reads: the token becomes known, then kept under its version, then the answer
    is stored. Gives the API's last answer."""
    answers = [read(client, headers) for _ in range(3)]
    assert all(answer.status_code == 200 for answer in answers)
    return answers[-1]


@pytest.fixture
def warm(client, tutor, book, bearer, shared_redis):
    """A tutor whose token and week the server has seen: the feed is cached, the token's
    owner kept under its version. Gives the headers and the API's own answer."""
    book(at(3, 16))
    headers = bearer(tutor)
    return headers, learned(feed, client, headers)


def test_a_repeated_week_is_answered_without_the_database_as_the_api_answers(
    client, warm, django_assert_num_queries
):
    headers, api_answer = warm
    before = answered()
    with django_assert_num_queries(0):
        fast = feed(client, headers)
    assert fast.status_code == 200
    assert fast.content == api_answer.content
    assert headers_of(fast) == headers_of(api_answer)
    # Counted under the API's route, not as an unmatched path.
    assert answered() == before + 1


def test_a_repeated_week_is_read_in_the_round_trip_that_checks_the_versions(
    client, warm, monkeypatch
):
    """The key of the last identical request is read along with the versions: while they
    are unchanged, that is the whole answer, with no second cache read."""
    headers, api_answer = warm
    feed(client, headers)  # remembers the key

    def second_read(*args, **kwargs):
        raise AssertionError("a second round trip")

    monkeypatch.setattr(cached_reads, "cache", SimpleNamespace(get=second_read))
    assert feed(client, headers).content == api_answer.content


def test_a_repeated_week_is_not_checked_again_until_the_account_changes(
    client, warm, tutor, admin, committed, monkeypatch
):
    """The query's checks and the scopes hold for the same query from the same account as
    its auth version describes it: a repeated request skips them; an account changed since
    is checked afresh."""
    headers, api_answer = warm
    feed(client, headers)  # remembers the key and the scopes
    real_checks = cached_reads._checked_scopes
    checks = []

    def counted(*args):
        checks.append(args)
        return real_checks(*args)

    monkeypatch.setattr(cached_reads, "_checked_scopes", counted)
    assert feed(client, headers).content == api_answer.content
    assert checks == []
    committed(user_update, actor=admin, user=tutor, first_name="Renamed")
    feed(client, headers)  # the API reads the changed account

    def the_view_ran(**kwargs):
        raise AssertionError("the API view ran")

    monkeypatch.setattr(selectors, "feed_cache_key", the_view_ran)
    assert feed(client, headers).status_code == 200  # answered by the middleware...
    assert len(checks) == 1  # ...after checking the query and the scopes afresh


def test_a_change_shows_on_the_next_read(client, warm, book, committed):
    headers, _api_answer = warm
    committed(book, at(4, 10))
    assert len(feed(client, headers).json()) == 2


def test_a_deactivated_tutor_is_refused_on_the_next_request(client, warm, tutor, admin, committed):
    headers, _api_answer = warm
    committed(user_update, actor=admin, user=tutor, is_active=False)
    assert feed(client, headers).status_code == 401


def test_the_rate_limit_counts_each_request_once_and_refuses_past_it(client, warm, settings):
    headers, _api_answer = warm
    # Three requests were counted while warming up; two more are allowed.
    settings.API_RATE_LIMIT_USER = "5/m"
    statuses = [feed(client, headers).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    refused = feed(client, headers)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1


def test_a_stale_week_is_rebuilt_before_the_stack_with_the_apis_function(
    client, warm, tutor, book, committed, monkeypatch
):
    """After a change the middleware builds the week itself, with the function the API
    view answers with (tracker/scheduling/cached.py): the view does not run."""
    headers, api_answer = warm
    committed(book, at(4, 10))

    def the_view_ran(**kwargs):
        raise AssertionError("the API view ran")

    monkeypatch.setattr(selectors, "feed_cache_key", the_view_ran)
    rebuilt = feed(client, headers)
    assert rebuilt.status_code == 200
    assert len(rebuilt.json()) == 2
    assert rebuilt.content == feed_body(user=tutor, start=at(2, 0), end=at(9, 0))
    length = {"Content-Length": str(len(rebuilt.content))}
    assert headers_of(rebuilt) == headers_of(api_answer) | length
    with CaptureQueriesContext(connection) as captured:
        assert feed(client, headers).content == rebuilt.content  # as stored
    assert not captured.captured_queries


def test_a_build_that_fails_is_left_to_the_api_and_counted_once(
    client, warm, book, committed, settings, monkeypatch
):
    headers, _api_answer = warm
    committed(book, at(4, 10))  # the cached week is stale

    def database_down(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(scheduling_cached, "feed_body", database_down)
    viewed = []
    real_key = selectors.feed_cache_key
    monkeypatch.setattr(
        selectors, "feed_cache_key", lambda **kwargs: viewed.append(1) or real_key(**kwargs)
    )
    settings.API_RATE_LIMIT_USER = "4/m"  # three counted while warming up, this is the 4th
    answer = feed(client, headers)
    assert answer.status_code == 200
    assert len(answer.json()) == 2
    assert viewed == [1]  # the API answered


def test_a_build_that_fails_keeps_none_of_its_writes(client, warm, book, committed, monkeypatch):
    """A build runs in one transaction, as the API's request would (it may store a series
    further ahead): what it wrote before failing is rolled back."""
    headers, _api_answer = warm
    committed(book, at(4, 10))

    def writes_then_fails(**kwargs):
        Subject.objects.create(name="Half-written")
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(scheduling_cached, "feed_body", writes_then_fails)
    assert feed(client, headers).status_code == 200  # the API's answer
    assert not Subject.objects.filter(name="Half-written").exists()


def test_a_range_the_build_refuses_gets_the_apis_problem(client, warm):
    headers, _api_answer = warm
    response = feed(client, headers, end=at(2, 0, month=6).isoformat())
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    assert "62 days" in response.content.decode()


def test_bad_parameters_get_the_apis_problem(client, warm):
    headers, _api_answer = warm
    response = feed(client, headers, end=at(1, 0).isoformat())
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    assert feed(client, headers, start="not a date").status_code == 422


def test_a_parameter_given_twice_is_left_to_the_api(client, warm):
    headers, api_answer = warm
    twice = {**WEEK, "start": [WEEK["start"], WEEK["start"]]}
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/sessions", twice, **headers)
    assert captured.captured_queries  # the request's transaction: the API answered
    assert response.content == api_answer.content


def test_a_tutor_naming_another_tutor_sees_nothing_from_the_cache_either(
    client, warm, other_tutor, book, django_assert_num_queries
):
    headers, _api_answer = warm
    book(at(3, 10), tutor=other_tutor, students=[StudentFactory()])
    assert feed(client, headers, tutor=other_tutor.pk).json() == []
    with django_assert_num_queries(0):
        assert feed(client, headers, tutor=other_tutor.pk).json() == []


def test_coordinators_share_a_cached_week(
    client, moderator, tutor, book, bearer, shared_redis, django_assert_num_queries
):
    from tests.factories import UserFactory
    from tracker.accounts.models import Role

    book(at(3, 16))
    first, second = bearer(moderator), bearer(UserFactory(role=Role.MODERATOR))
    built = feed(client, first, tutor=tutor.pk)
    for _ in range(2):  # the second coordinator's token becomes known
        assert feed(client, second, tutor=tutor.pk).content == built.content
    with django_assert_num_queries(0):
        assert feed(client, second, tutor=tutor.pk).content == built.content


def test_an_unknown_token_goes_to_the_api(client, warm):
    assert feed(client, {"HTTP_AUTHORIZATION": "Bearer sta_unknown"}).status_code == 401


def test_a_browser_signed_in_by_cookie_goes_to_the_api(client, warm, tutor):
    client.force_login(tutor)
    response = client.get("/api/v1/sessions", WEEK)
    assert response.status_code == 200
    assert len(response.json()) == 1


def test_without_redis_every_request_goes_to_the_api(
    client, tutor, book, bearer, settings, django_assert_max_num_queries
):
    settings.REDIS_URL = ""
    book(at(3, 16))
    headers = bearer(tutor)
    for _ in range(3):
        feed(client, headers)
    with django_assert_max_num_queries(4) as captured:
        feed(client, headers)
    assert tokens.remembered(headers["HTTP_AUTHORIZATION"][7:]) is None
    assert captured.captured_queries  # the token, at least


# --- The student list: stored by the middleware from the API's answer --------------------


def students(client, headers, **params):
    return client.get("/api/v1/students", params, **headers)


@pytest.fixture
def listed(client, tutor, pupil, bearer, shared_redis):
    """A tutor whose token is known and whose list the middleware has stored."""
    headers = bearer(tutor)
    return headers, learned(students, client, headers)


def test_a_repeated_student_list_is_answered_without_the_database_as_the_api_answers(
    client, listed, django_assert_num_queries
):
    headers, api_answer = listed
    before = answered("api:students_list")
    with django_assert_num_queries(0):
        fast = students(client, headers)
    assert fast.content == api_answer.content
    assert [row["first_name"] for row in fast.json()["results"]] == ["Palesa"]
    assert headers_of(fast) == headers_of(api_answer)
    assert answered("api:students_list") == before + 1


def test_a_change_to_a_student_shows_on_the_next_read(client, listed, admin, pupil, committed):
    headers, _api_answer = listed
    committed(student_update, actor=admin, student=pupil, first_name="Lerato")
    assert [row["first_name"] for row in students(client, headers).json()["results"]] == ["Lerato"]


def test_a_student_given_to_another_tutor_leaves_the_list(
    client, listed, admin, pupil, other_tutor, committed
):
    headers, _api_answer = listed
    committed(student_update, actor=admin, student=pupil, tutors=[other_tutor.pk])
    assert students(client, headers).json()["results"] == []


def test_each_person_and_role_has_their_own_answer(
    client, listed, admin, moderator, other_tutor, pupil, bearer
):
    pupil_rate = {"default_rate"}
    by_role = {}
    for user in (admin, moderator, other_tutor):
        headers = bearer(user)
        for _ in range(3):
            by_role[user.role if user != other_tutor else "other"] = students(
                client, headers
            ).json()["results"]
    assert by_role["other"] == []
    assert pupil_rate <= set(by_role[Role.ADMIN][0])
    assert not pupil_rate & set(by_role[Role.MODERATOR][0])


def test_a_refused_query_is_never_stored(client, listed):
    headers, _api_answer = listed
    for _ in range(2):
        assert students(client, headers, status="nonsense").status_code == 422


def test_another_page_or_search_is_another_answer(client, listed, tutor):
    headers, _api_answer = listed
    for _ in range(2):
        assert students(client, headers, search="nobody").json()["results"] == []
    assert len(students(client, headers).json()["results"]) == 1


def test_a_parameter_the_route_does_not_take_is_left_to_the_api(
    client, listed, shared_redis, settings
):
    """Made-up parameters would otherwise file copies of one answer under endless keys."""
    headers, api_answer = listed
    # This test's keys only: another worker's tests share the Redis database.
    mine = f"{settings.CACHES['default']['KEY_PREFIX']}:*read:*"
    stored = set(shared_redis.scan_iter(mine))
    for n in range(3):
        with CaptureQueriesContext(connection) as captured:
            answer = students(client, headers, pad=f"x{n}")
        assert captured.captured_queries  # the API answered
        assert answer.content == api_answer.content
    with CaptureQueriesContext(connection) as captured:
        students(client, headers, search="P" * 600)
    assert captured.captured_queries
    assert set(shared_redis.scan_iter(mine)) == stored


def test_two_queries_that_parse_differently_never_share_an_answer(client, listed, monkeypatch):
    """A search for "é" sent as raw UTF-8 and one for "Ã©" sent percent-encoded have the
    same full path (Django re-encodes the raw bytes) but different parameters: what a
    request passed last time is kept by the query's exact bytes."""
    headers, _api_answer = listed
    # WSGI hands the query over as bytes read as Latin-1.
    raw = "search=é".encode().decode("latin-1")
    for _ in range(3):
        assert client.get("/api/v1/students", QUERY_STRING=raw, **headers).status_code == 200
    checks = []
    real_checks = cached_reads._checked_scopes
    monkeypatch.setattr(
        cached_reads, "_checked_scopes", lambda *args: checks.append(args) or real_checks(*args)
    )
    answer = students(client, headers, search="Ã©")
    assert answer.status_code == 200
    assert [args[2]["search"] for args in checks] == ["Ã©"]


def test_an_answer_for_someone_the_key_no_longer_describes_is_not_stored(rf, tutor, moderator):
    from tracker.students.cached import LIST

    plan = cached_reads._Plan("read:key", tutor, LIST.who(tutor))
    request = rf.get("/api/v1/students")
    ok = cached_reads.HttpResponse(b"[]", content_type="application/json")
    request.auth = tutor
    assert cached_reads._storable(request, ok, plan, LIST)
    tutor.role = Role.MODERATOR  # the role changed while the API ran
    assert not cached_reads._storable(request, ok, plan, LIST)
    request.auth = moderator
    assert not cached_reads._storable(request, ok, plan, LIST)

"""The load benchmark's parts that can be checked without load: the mixes, the data file
and bench/mix.lua (against a stub server, for one second), the parsing of wrk's output,
signing in and picking sessions to log, the CPU split, and the resilience helpers."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
from collections import Counter
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from bench import load, plan, resilience
from tests.factories import UserFactory
from tests.students.conftest import StudentFactory
from tracker.accounts.models import Role
from tracker.accounts.tokens import user_for_access_token
from tracker.attendance.models import SessionLog
from tracker.scheduling.services import session_cancel

SAST = ZoneInfo("Africa/Johannesburg")


# --- The mixes and the data file -------------------------------------------------------------


def test_the_mix_has_the_issues_proportions_spread_over_every_stretch():
    cycle = plan.schedule(plan.SCENARIOS["mix"])
    assert Counter(cycle) == {"feed": 6, "log": 1, "students": 1, "dashboard": 1, "messages": 1}
    # Spread out, not in blocks, even across cycles: the others never follow each other and
    # the feed comes at most three times in a row.
    twice = cycle + cycle
    assert all("feed" in pair for pair in pairwise(twice))
    assert "feed,feed,feed,feed" not in ",".join(twice)


def test_schedule_interleaves_and_refuses_nonsense():
    assert plan.schedule({"feed": 3, "log": 1}) == ["feed", "feed", "log", "feed"]
    assert plan.schedule({"trivial": 5}) == ["trivial"]
    for weights in ({}, {"feed": 0}, {"coffee": 1}):
        with pytest.raises(ValueError, match="Invalid weights"):
            plan.schedule(weights)


def write(session_id: int, owner: str = "t") -> plan.Write:
    return plan.Write(
        session_id=session_id, tutor_id=1, token=f"sta_{owner}", key=f"bench-x-{session_id}"
    )


def test_the_data_file_deals_each_write_to_one_thread():
    identities = [plan.Identity(1, "tutor", "sta_a", "/api/v1/sessions?start=a&end=b")]
    lines = list(
        plan.data_lines(identities=identities, writes=[write(n) for n in range(5)], threads=2)
    )
    writes = [line.split() for line in lines if line.startswith("write ")]
    assert [(w[1], w[3]) for w in writes] == [
        ("1", "/api/v1/sessions/0/log"),
        ("2", "/api/v1/sessions/1/log"),
        ("1", "/api/v1/sessions/2/log"),
        ("2", "/api/v1/sessions/3/log"),
        ("1", "/api/v1/sessions/4/log"),
    ]
    assert "ident sta_a /api/v1/sessions?start=a&end=b" in lines
    assert "path trivial /healthz" in lines
    assert {line.split()[1] for line in lines if line.startswith("mix ")} == set(plan.SCENARIOS)


# --- wrk's output ----------------------------------------------------------------------------

WRK_OUTPUT = """Running 25s test @ http://127.0.0.1:18400
  2 threads and 64 connections
BENCH requests=30000 duration_us=25000000 p50_us=12000 p95_us=48500 p99_us=91000 max_us=140000\
 socket_connect=0 socket_read=0 socket_write=0 socket_timeout=2 writes_issued=3000\
 status_200=29990 status_304=5 status_500=3
"""


def test_wrk_results_are_parsed_and_every_failure_counts_as_an_error():
    result = plan.Result.from_bench(plan.parse_bench_line(WRK_OUTPUT))
    assert result.rps == 1200
    assert (result.p50_ms, result.p95_ms, result.p99_ms) == (12, 48.5, 91)
    assert result.statuses == {200: 29990, 304: 5, 500: 3}
    assert result.errors == 3 + 2  # the 500s and the timeouts; a 304 is an answer
    assert result.writes_issued == 3000
    with pytest.raises(ValueError, match="no BENCH line"):
        plan.parse_bench_line("unable to connect to 127.0.0.1:18400 Connection refused")


def test_the_report_checks_the_acceptance_figures():
    def run(name: str, rps: int, p95_ms: float, errors: int = 0) -> load.Run:
        result = plan.Result(
            requests=rps * 10, seconds=10, p50_ms=1, p95_ms=p95_ms, p99_ms=p95_ms, max_ms=p95_ms,
            statuses={200: rps * 10 - errors, 500: errors}, socket_errors={}, writes_issued=0,
        )  # fmt: skip
        cpu = {"app": 1.0, "postgres": 0.5, "redis": 0.1, "wrk": 0.3, "other": 0.1}
        return load.Run(name, result, 2.0, cpu, 0)

    good = {"ceiling": run("ceiling", 3000, 30), "mix": run("mix", 1100, 80),
            "feed": run("feed", 1600, 50)}  # fmt: skip
    assert not any("NOT met" in line for line in load.verdict(good))
    bad = {**good, "mix": run("mix", 1100, 80, errors=1), "feed": run("feed", 1400, 50)}
    lines = load.verdict(bad)
    assert "errors 1 (target 0: NOT met)" in lines[0]
    assert "47% (target ≥ 50%: NOT met)" in lines[1]
    assert "1100" in "\n".join(load.table(list(good.values())))


def test_configurations_are_parsed():
    assert load.parse_configs("2x4, 3x8") == [(2, 4), (3, 8)]
    with pytest.raises(Exception, match="WORKERSxTHREADS"):
        load.parse_configs("2*4")


def test_cpu_is_split_between_the_app_postgres_wrk_and_the_rest():
    ticks = load.TICKS
    before = load.CpuSample(busy=0, at=0.0, processes={
        10: ("granian", 10, 0), 11: ("python", 10, 0), 20: ("postgres", 20, 0),
        30: ("wrk", 30, 0), 40: ("redis-server", 40, 0),
    })  # fmt: skip
    after = load.CpuSample(busy=8 * ticks, at=2.0, processes={
        10: ("granian", 10, ticks), 11: ("python", 10, 2 * ticks), 20: ("postgres", 20, ticks),
        21: ("postgres", 21, ticks), 30: ("wrk", 30, ticks), 40: ("redis-server", 40, 0),
    })  # fmt: skip
    cores = load.cpu_split(before, after, app_groups={10})
    assert cores == {"app": 1.5, "postgres": 1.0, "redis": 0.0, "wrk": 0.5, "other": 1.0,
                     "total": 4.0}  # fmt: skip


# --- Signing in and the sessions to log (the benchmark's preparation, on SQLite) ------------


@pytest.mark.django_db
def test_sign_in_gives_working_tokens_and_each_a_weekly_feed(client, settings):
    from bench import prepare

    tutors = [UserFactory(username=f"tutor{n}", role=Role.TUTOR) for n in range(2)]
    coordinator = UserFactory(username="mod1", role=Role.MODERATOR)
    UserFactory(username="tutor9", role=Role.TUTOR, is_active=False)
    now = datetime(2031, 3, 6, 22, 30, tzinfo=SAST)  # a Thursday

    identities = prepare.sign_in(tutors=None, moderators=None, now=now)

    assert [(i.user_id, i.role) for i in identities] == [
        (tutors[0].pk, "tutor"), (tutors[1].pk, "tutor"), (coordinator.pk, "moderator"),
    ]  # fmt: skip
    for identity in identities:
        assert user_for_access_token(identity.token).pk == identity.user_id
        response = client.get(identity.feed_path, HTTP_AUTHORIZATION=f"Bearer {identity.token}")
        assert response.status_code == 200, response.content
    start, end = prepare.week_of(now)
    assert (start.isoformat(), end - start) == ("2031-03-03T00:00:00+02:00", timedelta(days=7))
    assert "start=2031-03-03T00%3A00%3A00%2B02%3A00" in identities[0].feed_path
    assert f"tutor={tutors[0].pk}" in identities[2].feed_path
    assert "tutor=" not in identities[0].feed_path
    assert len(prepare.sign_in(tutors=1, moderators=0, now=now)) == 1


@pytest.mark.django_db
def test_only_past_unlogged_sessions_are_logged_each_by_its_own_tutor(
    client, tutor, moderator, book, pupil
):
    from bench import prepare

    other = UserFactory(username="tutor-b", role=Role.TUTOR)
    theirs = StudentFactory(tutors=[other])
    now = timezone.now().replace(second=0, microsecond=0)
    mine = [book(now - timedelta(hours=h)) for h in (30, 5)]
    other_one = book(now - timedelta(hours=3), tutor=other, students=[theirs])
    book(now + timedelta(hours=3))  # not over yet
    cancelled = book(now - timedelta(hours=50))
    session_cancel(actor=moderator, session=cancelled, reason="Ill")
    logged = book(now - timedelta(hours=70))
    identities = prepare.sign_in(tutors=None, moderators=None, now=now)
    token_of = {i.user_id: i.token for i in identities}
    client.post(
        f"/api/v1/sessions/{logged.pk}/log", {"outcome": "completed"},
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token_of[tutor.pk]}",
    )  # fmt: skip

    writes = prepare.sessions_to_log(identities=identities, now=now)

    # Newest first per tutor, tutors taken in turn.
    assert [w.session_id for w in writes] == [mine[1].pk, other_one.pk, mine[0].pk]
    assert all(w.token == token_of[w.tutor_id] for w in writes)
    assert len({w.key for w in writes}) == 3
    for w in writes:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {w.token}", "HTTP_IDEMPOTENCY_KEY": w.key}
        first = client.post(w.path, {"outcome": "completed"}, "application/json", **headers)
        again = client.post(w.path, {"outcome": "completed"}, "application/json", **headers)
        assert first.status_code == again.status_code == 200
        assert first.content == again.content
    assert SessionLog.objects.count() == 4
    assert prepare.sessions_to_log(identities=identities, now=now) == []
    assert len(prepare.sessions_to_log(identities=identities[:1], now=now, limit=0)) == 0


# --- bench/mix.lua, run by wrk against a stub for one second -------------------------------


class Stub(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), StubHandler)
        self.seen: list[tuple[str, str, str, str, bytes]] = []
        self.lock = threading.Lock()


class StubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as wrk expects
    disable_nagle_algorithm = True  # else each answer waits for a delayed ACK

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.seen.append((
                self.command, self.path, self.headers.get("Authorization", ""),
                self.headers.get("Idempotency-Key", ""), body,
            ))  # fmt: skip
        # The messages endpoint refuses, so that the script's error count has something.
        status = 409 if self.path == plan.PATHS["messages"] else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def stub():
    server = Stub()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (make bench-deps)")
def test_mix_lua_sends_the_mix_with_each_identity_and_each_write_once_before_replaying(
    stub, tmp_path
):
    identities = [
        plan.Identity(n, "tutor", f"sta_{n}", f"/api/v1/sessions?start=s&end=e&who={n}")
        for n in range(3)
    ]
    writes = [write(n, owner=str(n % 3)) for n in range(4)]
    data = plan.write_data_file(tmp_path / "data.txt", identities=identities, writes=writes,
                                threads=1)  # fmt: skip
    port = stub.server_address[1]
    done = subprocess.run(
        ["wrk", "-t1", "-c1", "-d1s", "-s", str(load.LUA), f"http://127.0.0.1:{port}", "--",
         str(data), "mix"],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    result = plan.Result.from_bench(plan.parse_bench_line(done.stdout))

    kinds = Counter()
    for method, path, auth, key, body in stub.seen:
        if method == "POST":
            kinds["log"] += 1
            session = int(path.split("/")[4])
            assert (auth, key) == (f"Bearer sta_{session % 3}", f"bench-x-{session}")
            assert json.loads(body) == {"outcome": "completed"}
        elif "who=" in path:
            kinds["feed"] += 1
            assert path.endswith("who=" + auth.removeprefix("Bearer sta_"))
        else:
            kinds[next(k for k, p in plan.PATHS.items() if p == path)] += 1
            assert auth.startswith("Bearer sta_")
    total = sum(kinds.values())
    assert total > 50
    for kind, share in {"feed": 0.6, "log": 0.1, "students": 0.1, "messages": 0.1}.items():
        assert abs(kinds[kind] / total - share) < 0.03, kinds
    # Every session of the pool is logged before the first replay. One connection, so the
    # stub sees the requests in the order the script made them (with two, its threads may
    # record a later request first).
    posted = [int(path.split("/")[4]) for method, path, *_ in stub.seen if method == "POST"]
    assert len(posted) > 4
    assert posted == [n % 4 for n in range(len(posted))]
    assert result.writes_issued >= 4
    assert 0 < result.statuses[409] <= kinds["messages"]
    assert result.errors == result.statuses[409]
    assert result.requests == sum(result.statuses.values())


# --- Resilience helpers -------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_failed_write_is_retried_with_the_same_key_on_the_other_port(stub):
    recorder = resilience.Recorder()
    dead, alive = closed_port(), stub.server_address[1]
    acknowledged = resilience.log_until_acknowledged(
        resilience.Client(recorder), write(7), [dead, alive], threading.Event(), start=0
    )
    assert acknowledged
    assert [(o.port, o.status) for o in recorder.outcomes] == [(dead, None), (alive, 200)]
    assert [(m, key) for m, _, _, key, _ in stub.seen] == [("POST", "bench-x-7")]


def test_the_outage_is_what_the_probe_saw_and_the_timeline_counts_per_second():
    probe = resilience.Probe("postgres://unused", resilience.Recorder())
    probe.samples = [(5.0, True), (5.1, False), (5.2, False), (7.4, False), (7.5, True)]
    assert probe.outage() == (5.0, 7.5)
    probe.samples = [(0.0, True), (0.1, True)]
    assert probe.outage() is None

    outcomes = [resilience.Outcome(0.1, 0.2, 1, "read", 200),
                resilience.Outcome(0.5, 1.5, 1, "read", None),
                resilience.Outcome(1.1, 1.2, 2, "write", 500)]  # fmt: skip
    assert resilience.timeline(outcomes) == [
        "  s         ok       err",
        "  0          1         0",
        "  1          0         2",
    ]

"""Resilience under load: an app process killed, PostgreSQL restarted.

    .venv/bin/python -m bench.resilience kill --database-url postgres://.../loadtest
    .venv/bin/python -m bench.resilience restart-postgres --database-url postgres://.../loadtest

`kill`: two granian processes on two ports take writes (tutors logging past sessions, each
with its own idempotency key) from clients that spread them across both; one process is
killed with SIGKILL mid-run. A client whose request fails retries it on the other port
with the same key, as the app's offline queue does. Afterwards every write that was
acknowledged (2xx) must be in the database.

`restart-postgres`: one granian process takes reads and writes while PostgreSQL is
restarted once. Errors are allowed only for requests that overlapped the outage (seen by
a probe that connects every 100 ms); afterwards requests must succeed with the same app
processes, no restart. PostgreSQL is shared: the restart waits until no other client is
running a query or a test database is in use.

The clients are plain threads with `http.client` (standard library) rather than wrk: each
write's key and answer must be recorded one by one, which wrk's per-thread Lua states
cannot hand back.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.load import Server, reset_database, say, server_env, setup_django
from bench.plan import Identity, Write

BODY = json.dumps({"outcome": "completed"})


@dataclass(frozen=True)
class Outcome:
    """One request: when it started and ended (seconds since the run began), where it
    went, and its status (None when the connection failed)."""

    started: float
    ended: float
    port: int
    kind: str
    status: int | None
    key: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 400


@dataclass
class Recorder:
    began: float = field(default_factory=time.monotonic)
    outcomes: list[Outcome] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> float:
        return time.monotonic() - self.began

    def add(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)


class Client:
    """One keep-alive connection per port, for one thread."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.connections: dict[int, http.client.HTTPConnection] = {}

    def send(
        self,
        port: int,
        method: str,
        path: str,
        headers: dict[str, str],
        *,
        kind: str,
        body: str | None = None,
        key: str = "",
    ) -> Outcome:
        started = self.recorder.now()
        status = None
        try:
            connection = self.connections.get(port)
            if connection is None:
                connection = self.connections[port] = http.client.HTTPConnection(
                    "127.0.0.1", port, timeout=10
                )
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            self.connections.pop(port).close()
        outcome = Outcome(started, self.recorder.now(), port, kind, status, key)
        self.recorder.add(outcome)
        return outcome


def write_headers(write: Write) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {write.token}",
        "Content-Type": "application/json",
        "Idempotency-Key": write.key,
    }


def log_until_acknowledged(
    client: Client, write: Write, ports: list[int], stop: threading.Event, start: int
) -> bool:
    """Send a log, retrying with the same key on the next port after a failure, until it
    is acknowledged, refused (4xx: not retried, not acknowledged) or the run ends."""
    for port in itertools.islice(itertools.cycle(ports), start, None):
        if stop.is_set():
            return False
        outcome = client.send(
            port, "POST", write.path, write_headers(write), kind="write", body=BODY, key=write.key
        )
        if outcome.ok:
            return True
        if outcome.status is not None and outcome.status < 500:
            return False
        time.sleep(0.05)
    return False


class Pool:
    """The writes still to send, shared by the client threads."""

    def __init__(self, writes: list[Write]) -> None:
        self._writes: Iterator[Write] = iter(writes)
        self._lock = threading.Lock()
        self.exhausted = False

    def take(self) -> Write | None:
        with self._lock:
            item = next(self._writes, None)
            self.exhausted = item is None
            return item


def run_clients(
    target: Callable[[threading.Event, int], None],
    clients: int,
    seconds: float,
    events: dict[float, Callable[[], None]],
) -> None:
    """Run `clients` threads of `target(stop, index)` for `seconds`, calling each event
    function once its time (seconds from the start) has come."""
    stop = threading.Event()
    threads = [threading.Thread(target=target, args=(stop, i), daemon=True) for i in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    pending = sorted(events.items())
    while time.monotonic() - began < seconds and any(t.is_alive() for t in threads):
        if pending and time.monotonic() - began >= pending[0][0]:
            pending.pop(0)[1]()
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join(timeout=15)


def timeline(outcomes: list[Outcome], *, by_port: bool = False) -> list[str]:
    """Requests per second of the run (by when they ended): answered 2xx/3xx, errors."""
    counts: Counter[tuple[int, int | None, bool]] = Counter(
        (int(o.ended), o.port if by_port else None, o.ok) for o in outcomes
    )
    ports = sorted({o.port for o in outcomes}) if by_port else [None]
    seconds = range(int(max((o.ended for o in outcomes), default=0)) + 1)
    header = "  s  " + "  ".join(
        f"{'ok' if p is None else f'ok:{p}':>9} {'err' if p is None else f'err:{p}':>9}"
        for p in ports
    )
    lines = [header]
    for second in seconds:
        cells = "  ".join(
            f"{counts[(second, p, True)]:>9} {counts[(second, p, False)]:>9}" for p in ports
        )
        lines.append(f"{second:>3}  {cells}")
    return lines


# --- Scenario 1: kill one of two app processes ---------------------------------------------


def scenario_kill(args: argparse.Namespace, workdir: Path) -> bool:
    from django.db import connections

    from tracker.attendance.models import LogReceipt, SessionLog

    _, writes = _identities_and_writes(args)
    pool, recorder = Pool(writes), Recorder()
    acknowledged: list[Write] = []
    ack_lock = threading.Lock()
    env = server_env(database_url=args.database_url, redis_url=args.redis_url)
    servers = [
        Server(port=port, workers=1, threads=args.threads, env=env,
               log_path=workdir / f"granian-{port}.log").start()
        for port in args.ports
    ]  # fmt: skip
    recorder.began = time.monotonic()
    killed_at: list[float] = []

    def client(stop: threading.Event, index: int) -> None:
        connection = Client(recorder)
        for turn in itertools.count(index):
            write = pool.take()
            if write is None or stop.is_set():
                return
            if log_until_acknowledged(connection, write, args.ports, stop, turn):
                with ack_lock:
                    acknowledged.append(write)

    def kill() -> None:
        killed_at.append(recorder.now())
        servers[0].kill()
        say(f"t={killed_at[0]:.1f} s: SIGKILL to the granian process group on port {args.ports[0]}")

    try:
        run_clients(client, args.clients, args.seconds, {args.kill_after: kill})
    finally:
        for server in servers:
            server.stop()

    keys = [w.key for w in acknowledged]
    stored = set(
        LogReceipt.objects.filter(key__in=keys, status__gte=200, status__lt=300).values_list(
            "key", flat=True
        )
    )
    logged = set(
        SessionLog.objects.filter(session_id__in=[w.session_id for w in acknowledged]).values_list(
            "session_id", flat=True
        )
    )
    lost = [w for w in acknowledged if w.key not in stored or w.session_id not in logged]
    sent = {o.key for o in recorder.outcomes}
    committed_unacknowledged = LogReceipt.objects.filter(key__in=sent - set(keys)).count()
    connections.close_all()

    failures = Counter(
        "connection failed" if o.status is None else str(o.status)
        for o in recorder.outcomes
        if not o.ok
    )
    say("\n".join(timeline(recorder.outcomes, by_port=True)))
    say(
        f"writes: {len(sent)} sessions sent, {len(acknowledged)} acknowledged,"
        f" {len(recorder.outcomes)} requests; failed requests (retried with the same key on"
        f" the other port): {dict(failures) or 'none'}"
    )
    say(
        f"pool {'used up' if pool.exhausted else 'not used up'} ({len(writes)} sessions);"
        f" committed but never acknowledged (the client saw the connection drop): "
        f"{committed_unacknowledged}"
    )
    retried = {o.key for o in recorder.outcomes if not o.ok} & set(keys)
    in_flight = {
        o.key for o in recorder.outcomes if not o.ok and killed_at and o.started < killed_at[0]
    }
    say(
        f"acknowledged after a failed attempt: {len(retried)}, of which {len(in_flight & retried)}"
        " were in flight in the killed process when it died"
    )
    after_kill = [o for o in recorder.outcomes if killed_at and o.started > killed_at[0] + 0.5]
    survivor_ok = sum(1 for o in after_kill if o.ok and o.port == args.ports[1])
    say(f"after the kill the other process acknowledged {survivor_ok} writes")
    say(f"acknowledged writes missing from the database: {len(lost)}")
    for write in lost[:20]:
        say(f"  LOST session {write.session_id} key {write.key}")
    return not lost and bool(killed_at) and survivor_ok > 0


# --- Scenario 2: restart PostgreSQL --------------------------------------------------------


def others_busy(database_url: str) -> list[str]:
    """Other clients of the PostgreSQL server that a restart would hurt: anyone running a
    query, inside a transaction or active in the last 20 seconds (a benchmark between two
    requests), and any connection to a test database."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT datname, state, count(*) FROM pg_stat_activity"
            " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
            "   AND datname <> current_database()"
            "   AND (state IN ('active', 'idle in transaction') OR datname LIKE 'test%%'"
            "        OR state_change > now() - interval '20 seconds')"
            " GROUP BY 1, 2"
        ).fetchall()
    return [f"{db} ({state}: {n})" for db, state, n in rows]


def wait_until_quiet(database_url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while busy := others_busy(database_url):
        if time.monotonic() > deadline:
            raise SystemExit("PostgreSQL is in use by others, not restarting: " + ", ".join(busy))
        say("waiting: PostgreSQL is in use by " + ", ".join(busy))
        time.sleep(5)


class Probe(threading.Thread):
    """Connects to PostgreSQL every 100 ms: when it refused and when it came back."""

    def __init__(self, database_url: str, recorder: Recorder) -> None:
        super().__init__(daemon=True)
        self.database_url, self.recorder = database_url, recorder
        self.samples: list[tuple[float, bool]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        import psycopg

        while not self.stop.is_set():
            at = self.recorder.now()
            try:
                with psycopg.connect(self.database_url, connect_timeout=1) as connection:
                    connection.execute("SELECT 1")
                up = True
            except psycopg.Error:
                up = False
            self.samples.append((at, up))
            time.sleep(0.1)

    def outage(self) -> tuple[float, float] | None:
        """From the last sample that saw it up before the first failure to the first
        sample that saw it up again."""
        down = [i for i, (_, up) in enumerate(self.samples) if not up]
        if not down:
            return None
        first, last = down[0], down[-1]
        start = self.samples[first - 1][0] if first else self.samples[first][0]
        end = self.samples[last + 1][0] if last + 1 < len(self.samples) else self.recorder.now()
        return start, end


def scenario_restart(args: argparse.Namespace, workdir: Path) -> bool:
    identities, writes = _identities_and_writes(args)
    tutors = [i for i in identities if i.role == "tutor"]
    pool, recorder = Pool(writes), Recorder()
    wait_until_quiet(args.database_url, args.wait_idle)
    server = Server(
        port=args.port, workers=args.workers, threads=args.threads,
        env=server_env(database_url=args.database_url, redis_url=args.redis_url),
        log_path=workdir / "granian.log",
    ).start()  # fmt: skip
    probe = Probe(args.database_url, recorder)
    restart: dict[str, float] = {}

    def client(stop: threading.Event, index: int) -> None:
        connection = Client(recorder)
        for turn in itertools.count(index):
            if stop.is_set():
                return
            # One request in five logs a session, the others read a tutor's week.
            write = pool.take() if turn % 5 == 0 else None
            if write is not None:
                headers = write_headers(write)
                connection.send(
                    args.port, "POST", write.path, headers, kind="write", body=BODY, key=write.key
                )
                continue
            who = tutors[turn % len(tutors)]
            headers = {"Authorization": f"Bearer {who.token}"}
            outcome = connection.send(args.port, "GET", who.feed_path, headers, kind="read")
            if not outcome.ok:
                time.sleep(0.05)  # do not spin on a refusing database

    def restart_postgres() -> None:
        # Checked again: someone may have started since the wait.
        if busy := others_busy(args.database_url):
            say("not restarting, PostgreSQL is in use by " + ", ".join(busy))
            return
        restart["start"] = recorder.now()
        done = subprocess.run(shlex.split(args.restart_command), capture_output=True, text=True)  # noqa: S603
        restart["end"] = recorder.now()
        say(
            f"t={restart['start']:.1f}-{restart['end']:.1f} s: `{args.restart_command}`"
            f" exited {done.returncode} {done.stderr.strip()}"
        )

    recorder.began = time.monotonic()
    probe.start()
    try:
        run_clients(client, args.clients, args.seconds, {args.restart_after: restart_postgres})
        # The same processes served before, during and after: none exited or was restarted.
        same_processes = server.process is not None and server.process.poll() is None
    finally:
        probe.stop.set()
        server.stop()
    probe.join()

    outage = probe.outage()
    say("\n".join(timeline(recorder.outcomes)))
    if outage is None or not restart:
        say("PostgreSQL never refused a connection: the restart did not happen")
        return False
    down_from, up_at = outage
    errors = [o for o in recorder.outcomes if not o.ok]
    # A request overlapping the outage may fail; any other failure is a real error.
    outside = [o for o in errors if o.ended < down_from or o.started > up_at]
    after = [o for o in recorder.outcomes if o.started > up_at]
    first_ok = min((o.ended for o in after if o.ok), default=None)
    say(f"PostgreSQL refused connections from t={down_from:.1f} s to t={up_at:.1f} s")
    say(
        f"requests: {len(recorder.outcomes)}; errors {len(errors)}"
        f" ({dict(Counter(str(o.status or 'connection failed') for o in errors)) or 'none'}),"
        f" of which outside the outage: {len(outside)}"
    )
    say(
        f"after it: {sum(o.ok for o in after)} of {len(after)} requests succeeded"
        + (f", the first {first_ok - up_at:.2f} s after PostgreSQL was back" if first_ok else "")
        + ("; the app was not restarted" if same_processes else "; THE APP EXITED")
    )
    kinds = Counter((o.kind, o.ok) for o in recorder.outcomes)
    counts = (f"{k}s {kinds[(k, True)]} ok / {kinds[(k, False)]} failed" for k in ("read", "write"))
    say("by kind: " + ", ".join(counts))
    for outcome in outside[:20]:
        say(f"  error outside the outage: {outcome}")
    return same_processes and not outside and bool(after) and all(o.ok for o in after)


# --- Main ---------------------------------------------------------------------------------


def _identities_and_writes(args: argparse.Namespace) -> tuple[list[Identity], list[Write]]:
    from django.db import connections
    from django.utils import timezone

    from bench import prepare

    now = timezone.now()
    identities = prepare.sign_in(tutors=args.tutors, moderators=0, now=now)
    writes = prepare.sessions_to_log(identities=identities, now=now)
    connections.close_all()
    say(f"signed in {len(identities)} tutors; {len(writes)} past unlogged sessions to log")
    return identities, writes


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", required=True, help="a copy of the load data")
    common.add_argument("--reset-from", metavar="TEMPLATE", help="copy the database first")
    common.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    common.add_argument("--clients", type=int, default=16, help="client threads")
    common.add_argument("--seconds", type=float, default=20)
    common.add_argument("--threads", type=int, default=4, help="granian threads per worker")
    common.add_argument("--tutors", type=int, default=200)
    commands = parser.add_subparsers(dest="command", required=True)
    kill = commands.add_parser("kill", parents=[common], help="kill one of two app processes")
    kill.add_argument("--ports", type=lambda s: [int(p) for p in s.split(",")],
                      default=[18410, 18411])  # fmt: skip
    kill.add_argument("--kill-after", type=float, default=7)
    restart = commands.add_parser("restart-postgres", parents=[common], help="restart PostgreSQL")
    restart.add_argument("--port", type=int, default=18412)
    restart.add_argument("--workers", type=int, default=2)
    restart.add_argument("--restart-after", type=float, default=6)
    restart.add_argument("--restart-command", default="pg_ctlcluster 15 main restart")
    restart.add_argument(
        "--wait-idle", type=float, default=300, help="seconds to wait for others to finish"
    )
    args = parser.parse_args(argv)
    if args.command == "kill" and len(args.ports) != 2:
        parser.error("--ports: two ports")
    if not 1 <= args.seconds <= 60:
        parser.error("--seconds: 1 to 60 (the run is bounded)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    # A plain `kill` still stops the app processes started here (the `finally` blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.reset_from:
        reset_database(args.database_url, args.reset_from)
    setup_django(database_url=args.database_url, redis_url=args.redis_url, token_minutes=30)
    with tempfile.TemporaryDirectory(prefix="bench-resilience-") as tmp:
        scenario = scenario_kill if args.command == "kill" else scenario_restart
        passed = scenario(args, Path(tmp))
    say("PASSED" if passed else "FAILED")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())

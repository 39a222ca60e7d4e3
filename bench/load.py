"""The load benchmark: the app under granian (WSGI) on PostgreSQL, driven by wrk.

    .venv/bin/python -m bench.load --database-url postgres://postgres@127.0.0.1:5432/loadtest

The database must hold `manage.py seed_load` data (tutors, moderators, a million sessions)
and is written to (the mix logs sessions): use a copy, and `--reset-from TEMPLATE` to
start every server configuration from the same copy. For each configuration
(`--configs 2x4,2x8`: workers × threads) it signs in the tutors and moderators, starts
granian on 127.0.0.1, warms it up, and runs wrk for each scenario with the same
connections and duration: the trivial endpoint (the ceiling), the mix, the feed alone.
It prints throughput, p50/p95/p99, errors, the load average and where the CPU went, then
the acceptance checks.

wrk runs on this machine too, so the app, PostgreSQL, Redis and the load generator share
its cores: that is the setting the figures describe.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.plan import (
    SCENARIOS,
    Identity,
    Result,
    needs_writes,
    parse_bench_line,
    write_data_file,
)

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).resolve().parent / "mix.lua"
GRANIAN = Path(sys.executable).parent / "granian"

# Acceptance (issue 11): mixed load, 64 connections.
TARGET_RPS, TARGET_P95_MS, TARGET_FEED_SHARE = 1000, 100, 0.5
# Rate limiting is not what is measured: 64 connections on a few tokens exceed 600/min.
UNLIMITED = "1000000/m"


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


# --- The server under test ----------------------------------------------------------------


def server_env(
    *, database_url: str, redis_url: str, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The app's settings as in production except the rate limits (not what is measured);
    `extra` for variants (ACCESS_LOG=false, CONN_MAX_AGE=0, ...)."""
    env = {k: v for k, v in os.environ.items() if k not in {"TESTING", "DEBUG"}}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        API_RATE_LIMIT_USER=UNLIMITED,
        API_RATE_LIMIT_ANON=UNLIMITED,
        DEBUG="false",
    )
    env.update(extra or {})
    return env


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=2) as response:  # noqa: S310 - loopback
            return response.status == 200
    except OSError:
        return False


@dataclass
class Server:
    """granian in WSGI mode, as `make serve` runs it, in its own process group so that
    stopping (or killing) it takes its workers along."""

    port: int
    workers: int
    threads: int
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> Server:
        command = [
            str(GRANIAN), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(self.port),
            "--workers", str(self.workers), "--blocking-threads", str(self.threads),
            "--log-level", "warning", "config.wsgi:application",
        ]  # fmt: skip
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own granian, fixed arguments
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"granian exited; see {self.log_path}")
            if healthy(self.url):
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"granian did not answer on {self.url}; see {self.log_path}")

    @property
    def pgid(self) -> int | None:
        return self.process.pid if self.process else None

    def kill(self) -> None:
        """SIGKILL to the whole group: a crash, not a shutdown."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if not self.process or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


# --- Where the CPU goes -----------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def _processes() -> dict[int, tuple[str, int, int]]:
    """pid → (command name, process group, CPU ticks used so far)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            head, _, tail = (entry / "stat").read_text().rpartition(")")
            fields = tail.split()
            found[int(entry.name)] = (
                head.partition("(")[2],
                int(fields[2]),
                int(fields[11]) + int(fields[12]),
            )
    return found


def _busy_ticks() -> int:
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(values) - values[3] - values[4]  # minus idle and iowait


@dataclass
class CpuSample:
    busy: int = field(default_factory=_busy_ticks)
    processes: dict[int, tuple[str, int, int]] = field(default_factory=_processes)
    at: float = field(default_factory=time.monotonic)


def cpu_split(
    before: CpuSample, after: CpuSample, *, app_groups: set[int], wrk: float = 0.0
) -> dict[str, float]:
    """Cores used on average between two samples, by the app (granian's process groups),
    PostgreSQL, Redis, wrk (`wrk`: its CPU seconds, when it has exited meanwhile), and
    everything else on the machine."""
    seconds = after.at - before.at
    used = dict.fromkeys(("app", "postgres", "redis", "wrk"), 0.0)
    used["wrk"] = wrk * TICKS
    for pid, (name, group, ticks) in after.processes.items():
        spent = ticks - before.processes.get(pid, (name, group, 0))[2]
        if group in app_groups:
            used["app"] += spent
        elif name.startswith("postgres"):
            used["postgres"] += spent
        elif name == "redis-server":
            used["redis"] += spent
        elif name == "wrk":
            used["wrk"] += spent
    cores = {k: v / TICKS / seconds for k, v in used.items()}
    total = (after.busy - before.busy) / TICKS / seconds
    cores["other"] = max(0.0, total - sum(cores.values()))
    cores["total"] = total
    return cores


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


# --- Running wrk ----------------------------------------------------------------------------


@dataclass
class Run:
    scenario: str
    result: Result
    load_max: float
    cpu: dict[str, float]
    writes_pool: int


def run_wrk(
    *,
    url: str,
    data_file: Path,
    scenario: str,
    connections: int,
    threads: int,
    seconds: int,
    app_groups: set[int],
    writes_pool: int,
) -> Run:
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
        "-s", str(LUA), url, "--", str(data_file), scenario,
    ]  # fmt: skip
    before, load_max = CpuSample(), 0.0
    wrk = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # noqa: S603
    # Reaped here rather than by Popen: wait4 gives wrk's own CPU time, which /proc no
    # longer has once it has exited.
    while True:
        pid, status, usage = os.wait4(wrk.pid, os.WNOHANG)
        if pid:
            break
        load_max = max(load_max, load_average())
        time.sleep(1)
    wrk.returncode = os.waitstatus_to_exitcode(status)
    output = wrk.stdout.read()
    wrk.stdout.close()
    after = CpuSample()
    (data_file.parent / f"wrk-{scenario}.txt").write_text(output)
    if wrk.returncode != 0:
        raise RuntimeError(f"wrk failed ({wrk.returncode}):\n{output}")
    result = Result.from_bench(parse_bench_line(output))
    cpu = cpu_split(before, after, app_groups=app_groups, wrk=usage.ru_utime + usage.ru_stime)
    return Run(scenario, result, load_max, cpu, writes_pool)


# --- Report -------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    from django.db import connection

    model = next(
        (
            line.partition(":")[2].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    connection.close()  # --reset-from drops the database next
    return {
        "cpu": f"{os.cpu_count()} × {model}",
        "memory": f"{memory_kb / 1024 / 1024:.0f} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": version("django"),
        "granian": version("granian"),
        "postgresql": postgres,
        "wrk": subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split(" [")[0],  # noqa: S607
    }


def table(runs: list[Run]) -> list[str]:
    header = (
        f"{'scenario':<10} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6}"
        f"  {'load1':>5}  cores: app / postgres / redis / wrk / other (of {os.cpu_count()})"
    )
    lines = [header, "-" * len(header)]
    for run in runs:
        r, c = run.result, run.cpu
        lines.append(
            f"{run.scenario:<10} {r.rps:>8.0f} {r.p50_ms:>7.1f} {r.p95_ms:>7.1f} {r.p99_ms:>7.1f}"
            f" {r.errors:>6}  {run.load_max:>5.2f}  {c['app']:.2f} / {c['postgres']:.2f} /"
            f" {c['redis']:.2f} / {c['wrk']:.2f} / {c['other']:.2f}"
        )
    for run in runs:
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(run.result.statuses.items()))
        sockets = ", ".join(f"{k}: {n}" for k, n in run.result.socket_errors.items() if n)
        line = f"  {run.scenario}: {run.result.requests} requests; statuses {statuses}"
        if sockets:
            line += f"; socket errors {sockets}"
        if needs_writes(run.scenario):
            fresh = min(run.result.writes_issued, run.writes_pool)
            line += (
                f"; {run.result.writes_issued} logs sent, {fresh} of them new sessions"
                f" (pool {run.writes_pool})"
            )
        lines.append(line)
    return lines


def verdict(runs: Mapping[str, Run]) -> list[str]:
    lines = []
    if "mix" in runs:
        mix = runs["mix"].result
        lines += [
            f"mix: {mix.rps:.0f} req/s (target ≥ {TARGET_RPS}: {_met(mix.rps >= TARGET_RPS)}),"
            f" p95 {mix.p95_ms:.1f} ms (target < {TARGET_P95_MS}:"
            f" {_met(mix.p95_ms < TARGET_P95_MS)}), errors {mix.errors}"
            f" (target 0: {_met(mix.errors == 0)})"
        ]
    if "feed" in runs and "ceiling" in runs:
        feed, ceiling = runs["feed"].result, runs["ceiling"].result
        share = feed.rps / ceiling.rps if ceiling.rps else 0.0
        lines.append(
            f"feed alone / trivial endpoint: {feed.rps:.0f} / {ceiling.rps:.0f} req/s ="
            f" {share:.0%} (target ≥ {TARGET_FEED_SHARE:.0%}: {_met(share >= TARGET_FEED_SHARE)})"
        )
    return lines


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


# --- Databases ----------------------------------------------------------------------------


def reset_database(database_url: str, template: str) -> None:
    """Drop the benchmark's database and copy it again from `template`, so that every
    configuration logs the same unlogged sessions. Nobody may be connected to either."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not name or name == template:
        raise ValueError("--reset-from must name another database than DATABASE_URL's")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        connection.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )


def setup_django(*, database_url: str, redis_url: str, token_minutes: int) -> None:
    # Before Django reads its settings: the tokens must outlive every run of the session.
    os.environ.pop("TESTING", None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        ACCESS_TOKEN_MINUTES=str(token_minutes),
    )
    import django

    django.setup()


def sign_in(args: argparse.Namespace) -> list[Identity]:
    from django.utils import timezone

    from bench import prepare

    identities = prepare.sign_in(tutors=args.tutors, moderators=args.moderators, now=timezone.now())
    tutors = sum(1 for i in identities if i.role == "tutor")
    say(f"signed in {tutors} tutors and {len(identities) - tutors} moderators")
    return identities


def plan_writes(args: argparse.Namespace, identities: list[Identity], path: Path) -> int:
    """(Re)write wrk's data file with the sessions still unlogged now, so that a scenario
    never replays what an earlier one logged. Returns how many there are."""
    from django.db import connections
    from django.utils import timezone

    from bench import prepare

    writes = prepare.sessions_to_log(identities=identities, now=timezone.now())
    write_data_file(path, identities=identities, writes=writes, threads=args.wrk_threads)
    # The database may be dropped before the next configuration.
    connections.close_all()
    return len(writes)


# --- Main ---------------------------------------------------------------------------------


def parse_configs(text: str) -> list[tuple[int, int]]:
    """'2x4,3x8' → [(2, 4), (3, 8)]: granian workers × blocking threads."""
    configs = []
    for part in text.split(","):
        workers, _, threads = part.strip().partition("x")
        if not (workers.isdigit() and threads.isdigit()):
            raise argparse.ArgumentTypeError(f"expected WORKERSxTHREADS, got {part!r}")
        configs.append((int(workers), int(threads)))
    return configs


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        required="DATABASE_URL" not in os.environ,
        help="PostgreSQL with seed_load data; written to (default: $DATABASE_URL)",
    )
    parser.add_argument(
        "--reset-from",
        metavar="TEMPLATE",
        help="drop the database and copy it from TEMPLATE before each configuration",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--port", type=int, default=18400)
    parser.add_argument(
        "--configs",
        type=parse_configs,
        default=[(2, 4)],
        help="granian workers×threads, e.g. 2x4,2x8,3x4 (default 2x4)",
    )
    parser.add_argument(
        "--scenarios",
        default="ceiling,mix,feed",
        help=f"comma-separated, in order, from: {', '.join(SCENARIOS)}",
    )
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--duration", type=int, default=25, help="seconds per scenario")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of the read mix first")
    parser.add_argument("--tutors", type=int, help="sign in this many tutors (default: all)")
    parser.add_argument("--moderators", type=int, help="and this many moderators (default: all)")
    parser.add_argument(
        "--app-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extra setting for the app under test (repeatable), e.g. ACCESS_LOG=false",
    )
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "bench")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    if any("=" not in pair for pair in args.app_env):
        parser.error("--app-env: NAME=VALUE")
    args.app_env = dict(pair.split("=", 1) for pair in args.app_env)
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    if not 1 <= args.duration <= 60:
        parser.error("--duration: 1 to 60 seconds (the benchmark is bounded)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    # A plain `kill` still stops the app processes started here (the `finally` blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    # Access tokens must outlive every configuration and scenario of this invocation.
    per_config = (args.duration + 10) * len(args.scenarios) + args.warmup + 120
    setup_django(
        database_url=args.database_url,
        redis_url=args.redis_url,
        token_minutes=per_config * len(args.configs) // 60 + 10,
    )
    say(
        f"{args.connections} connections, {args.wrk_threads} wrk threads, {args.duration} s per"
        f" scenario; API rate limits set to {UNLIMITED} for the server under test"
        + "".join(f"; {name}={value}" for name, value in args.app_env.items())
    )
    report = []
    # Kept for reading afterwards: granian's logs, wrk's output (the data file holds tokens
    # that expire; it is readable by its owner only).
    workdir = args.workdir / time.strftime("%Y%m%d-%H%M%S")
    workdir.mkdir(parents=True)
    say(f"logs in {workdir}")
    for workers, threads in args.configs:
        if args.reset_from:
            say(f"copying {args.reset_from} to the benchmark database...")
            reset_database(args.database_url, args.reset_from)
        if not report:
            say("machine: " + json.dumps(machine()))
        say(f"\n== granian {workers} workers × {threads} threads ==")
        identities = sign_in(args)
        server = Server(
            port=args.port, workers=workers, threads=threads,
            env=server_env(database_url=args.database_url, redis_url=args.redis_url,
                           extra=args.app_env),
            log_path=workdir / f"granian-{workers}x{threads}.log",
        )  # fmt: skip
        runs = _measure(args, server, identities, workdir / "data.txt")
        for line in table(list(runs.values())) + verdict(runs):
            say(line)
        report.append(
            {
                "workers": workers,
                "threads": threads,
                "runs": {
                    name: {**asdict(run), "rps": run.result.rps, "errors": run.result.errors}
                    for name, run in runs.items()
                },
            }
        )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
    return 0


def _measure(
    args: argparse.Namespace, server: Server, identities: list[Identity], data_file: Path
) -> dict[str, Run]:
    pool = plan_writes(args, identities, data_file)
    server.start()
    try:
        common = {
            "url": server.url,
            "data_file": data_file,
            "connections": args.connections,
            "threads": args.wrk_threads,
            "app_groups": {server.pgid},
        }
        if args.warmup:
            run_wrk(scenario="reads", seconds=args.warmup, writes_pool=pool, **common)
        runs, written = {}, False
        for scenario in args.scenarios:
            if needs_writes(scenario):
                if written:
                    pool = plan_writes(args, identities, data_file)
                written = True
            runs[scenario] = run_wrk(
                scenario=scenario, seconds=args.duration, writes_pool=pool, **common
            )
        return runs
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())

"""What the load benchmark asks for: request kinds, their paths, the mixes, the data file.

No Django here: bench/mix.lua reads the file this writes, and the tests check both.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from math import gcd
from pathlib import Path

# Request kinds with one path for everyone; "feed" is per identity and "log" per session.
PATHS = {
    # The ceiling: the same server, no database, no authentication.
    "trivial": "/healthz",
    "students": "/api/v1/students",
    "dashboard": "/api/v1/reports/dashboard",
    "messages": "/api/v1/threads",
}
KINDS = {"feed", "log", *PATHS}

# Weights per scenario. "mix" is the issue's: the weekly calendar feed 60%, log a session,
# the student list, the dashboard and the messages 10% each.
SCENARIOS: dict[str, dict[str, int]] = {
    "ceiling": {"trivial": 1},
    "mix": {"feed": 60, "log": 10, "students": 10, "dashboard": 10, "messages": 10},
    "feed": {"feed": 1},
    # The mix without writes: the warm-up before measuring (it uses up no session).
    "reads": {"feed": 60, "students": 10, "dashboard": 10, "messages": 10},
    # One kind at a time, to see where the time of the mix goes.
    "students": {"students": 1},
    "dashboard": {"dashboard": 1},
    "messages": {"messages": 1},
    "log": {"log": 1},
}


@dataclass(frozen=True)
class Identity:
    """A signed-in tutor or moderator: an access token and the weekly feed they ask for."""

    user_id: int
    role: str
    token: str
    feed_path: str


@dataclass(frozen=True)
class Write:
    """A past, unlogged session and the token of the tutor who logs it."""

    session_id: int
    tutor_id: int
    token: str
    key: str

    @property
    def path(self) -> str:
        return f"/api/v1/sessions/{self.session_id}/log"


def schedule(weights: Mapping[str, int]) -> list[str]:
    """One cycle of request kinds with exactly the given proportions, spread out evenly
    (smooth weighted round robin), so that any stretch of a run has the mix, not only the
    whole run: {"a": 3, "b": 1} → ["a", "a", "b", "a"]."""
    if not weights or any(w <= 0 for w in weights.values()) or set(weights) - KINDS:
        raise ValueError(f"Invalid weights {dict(weights)!r}")
    divisor = 0
    for weight in weights.values():
        divisor = gcd(divisor, weight)
    reduced = {kind: weight // divisor for kind, weight in weights.items()}
    total = sum(reduced.values())
    current = dict.fromkeys(reduced, 0)
    cycle = []
    for _ in range(total):
        for kind, weight in reduced.items():
            current[kind] += weight
        chosen = max(current, key=current.__getitem__)
        current[chosen] -= total
        cycle.append(chosen)
    return cycle


def needs_writes(scenario: str) -> bool:
    return "log" in SCENARIOS[scenario]


def data_lines(
    *, identities: Iterable[Identity], writes: Iterable[Write], threads: int
) -> Iterator[str]:
    """The lines of bench/mix.lua's data file. Writes are dealt round-robin to the wrk
    threads, so that no two threads ever log the same session."""
    for kind, path in PATHS.items():
        yield f"path {kind} {path}"
    for identity in identities:
        yield f"ident {identity.token} {identity.feed_path}"
    for index, write in enumerate(writes):
        yield f"write {index % threads + 1} {write.token} {write.path} {write.key}"
    for name, weights in SCENARIOS.items():
        yield f"mix {name} " + " ".join(schedule(weights))


def write_data_file(
    path: Path, *, identities: Iterable[Identity], writes: Iterable[Write], threads: int
) -> Path:
    path.write_text(
        "\n".join(data_lines(identities=identities, writes=writes, threads=threads)) + "\n"
    )
    path.chmod(0o600)  # bearer tokens
    return path


def parse_bench_line(output: str) -> dict[str, float]:
    """The `BENCH key=value ...` line that bench/mix.lua's done() prints."""
    for line in output.splitlines():
        if line.startswith("BENCH "):
            fields = (part.partition("=") for part in line.split()[1:])
            return {key: float(value) for key, _, value in fields}
    raise ValueError("wrk printed no BENCH line:\n" + output[-2000:])


@dataclass(frozen=True)
class Result:
    """One wrk run, reduced to what the report shows."""

    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[int, int]
    socket_errors: dict[str, int]
    writes_issued: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        """Every response outside 2xx/3xx and every socket error (connect, read, write,
        timeout): none of them is acceptable under load."""
        bad = sum(n for status, n in self.statuses.items() if not 200 <= status < 400)
        return bad + sum(self.socket_errors.values())

    @classmethod
    def from_bench(cls, fields: Mapping[str, float]) -> Result:
        return cls(
            requests=int(fields["requests"]),
            seconds=fields["duration_us"] / 1e6,
            p50_ms=fields["p50_us"] / 1000,
            p95_ms=fields["p95_us"] / 1000,
            p99_ms=fields["p99_us"] / 1000,
            max_ms=fields["max_us"] / 1000,
            statuses={
                int(key.removeprefix("status_")): int(value)
                for key, value in fields.items()
                if key.startswith("status_")
            },
            socket_errors={
                key.removeprefix("socket_"): int(value)
                for key, value in fields.items()
                if key.startswith("socket_")
            },
            writes_issued=int(fields.get("writes_issued", 0)),
        )

"""Every page of the site as a URL that can be requested, with sample ids from `world`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, reverse

# Not pages: the API has its own tables, and its catch-all only answers 404 problems.
SKIPPED_PREFIXES = ("api/",)

# Sample values by parameter name; a few depend on the page (namespace:name wins).
SAMPLES = {
    "student_id": "student", "user_id": "user", "session_id": "logged",
    "thread_id": "thread", "window_id": "window", "time_off_id": "time_off",
    "closure_id": "closure", "invoice_id": "invoice", "line_id": "line",
    "payment_id": "payment", "payer_id": "payer", "rate_id": "rate",
    "owner_id": "student", "pk": "branch", "signin_id": "signin",
}  # fmt: skip
CONSTANTS = {
    "kind": "student", "fmt": "csv", "secret": "not-a-feed-secret", "name": "sessions",
    "uidb64": "MQ", "token": "set-password",
}  # fmt: skip
BY_PAGE = {("org:create", "kind"): "branch", ("org:edit", "kind"): "branch",
           ("org:deactivate", "kind"): "branch", ("org:reactivate", "kind"): "branch"}  # fmt: skip


@dataclass(frozen=True)
class Page:
    name: str
    route: str
    view: object
    params: tuple[str, ...]

    def url(self, world: dict[str, int]) -> str:
        kwargs = {param: sample(self.name, param, world) for param in self.params}
        return reverse(self.name, kwargs=kwargs)


def sample(name: str, param: str, world: dict[str, int]) -> str | int:
    if (name, param) in BY_PAGE:
        return BY_PAGE[(name, param)]
    if param in SAMPLES:
        return world[SAMPLES[param]]
    if param in CONSTANTS:
        return CONSTANTS[param]
    raise AssertionError(
        f"The page {name} takes <{param}>: add a sample value to tests/security/pages.py"
    )


def _walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[Page]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if route.lstrip("^").startswith(SKIPPED_PREFIXES):
            continue
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from _walk(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            assert pattern.name, f"{route} has no name: every page needs one to be reversed"
            params = tuple(pattern.pattern.regex.groupindex)
            yield Page(namespace + pattern.name, route, pattern.callback, params)


def all_pages() -> list[Page]:
    return list(_walk(get_resolver().url_patterns))

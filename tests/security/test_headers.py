"""Every page, as every role, answers with the security headers of DESIGN.md §4, and no
page carries inline script or style that the policy would have to allow."""

from __future__ import annotations

import re

import pytest

from tests.security.pages import all_pages

pytestmark = pytest.mark.django_db

# Beside the pages: the API's own HTML and JSON, and the not-found page.
EXTRA = ["/api/v1/", "/api/v1/docs", "/api/v1/openapi.json", "/api/v1/nothing", "/no-such-page/"]
INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>"),
    "style attribute": re.compile(r"<[a-z][^>]*\sstyle=", re.IGNORECASE),
    "style element": re.compile(r"<style[\s>]", re.IGNORECASE),
    "event handler attribute": re.compile(r"<[a-z][^>]*\son[a-z]+=", re.IGNORECASE),
    "javascript: URL": re.compile(r"=\s*[\"']javascript:", re.IGNORECASE),
}


def policy(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in filter(str.strip, header.split(";")):
        name, *values = part.split()
        directives[name.lower()] = values
    return directives


def problems_with(response) -> list[str]:
    found = []
    csp = policy(response.get("Content-Security-Policy", ""))
    for directive in ("script-src", "style-src"):
        sources = csp.get(directive, csp.get("default-src"))
        if not sources:
            found.append(f"no {directive}")
        elif {"'unsafe-inline'", "'unsafe-eval'", "*"} & set(sources):
            found.append(f"{directive} allows {sources}")
    if csp.get("frame-ancestors") != ["'none'"]:
        found.append(f"frame-ancestors is {csp.get('frame-ancestors')}")
    if csp.get("object-src") != ["'none'"]:
        found.append(f"object-src is {csp.get('object-src')}")
    expected = {
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    for header, value in expected.items():
        if response.get(header) != value:
            found.append(f"{header} is {response.get(header)!r}")
    permissions = response.get("Permissions-Policy", "")
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        if feature not in permissions:
            found.append(f"Permissions-Policy lacks {feature}")
    if response.status_code >= 500:
        found.append(f"answered {response.status_code}")
    if response.get("Content-Type", "").startswith("text/html"):
        html = response.content.decode()
        found += [name for name, pattern in INLINE.items() if pattern.search(html)]
    return found


@pytest.mark.parametrize("role", ["anonymous", "tutor", "moderator", "admin"])
def test_every_page_has_the_security_headers(client, people, world, role):
    if people[role]:
        client.force_login(people[role])
    urls = [page.url(world) for page in all_pages()] + EXTRA
    failures = {url: problems for url in urls if (problems := problems_with(client.get(url)))}
    assert failures == {}
    assert len(urls) > 80  # the enumeration found the pages


def test_the_checks_catch_a_weak_page(client):
    """The checks above can fail: a response without the headers is reported."""
    from django.http import HttpResponse

    weak = HttpResponse("<p style='x'>hi</p><script>alert(1)</script>")
    found = problems_with(weak)
    assert "no script-src" in found
    assert "X-Frame-Options is None" in found
    assert "Permissions-Policy lacks camera=()" in found
    assert {"inline script", "style attribute"} <= set(found)


def test_the_policy_forbids_plugins_and_base_tags_and_foreign_forms(client):
    csp = policy(client.get("/")["Content-Security-Policy"])
    assert csp["base-uri"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]

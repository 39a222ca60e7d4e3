"""The installable app's server side: the manifest and its icons, the service worker at
the root, the offline page, and the today page's hooks for offline logging."""

from __future__ import annotations

import importlib.util
import json
import re
import struct
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.utils import timezone

pytestmark = pytest.mark.django_db

STATIC = Path(settings.BASE_DIR) / "static"
SCRIPTS = Path(settings.BASE_DIR) / "scripts"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def manifest() -> dict:
    return json.loads((STATIC / "manifest.webmanifest").read_text())


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk, which must come first."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def css_variable(name: str) -> str:
    css = (STATIC / "css" / "app.css").read_text()
    return re.search(rf"{name}:\s*(#[0-9a-f]{{6}})", css).group(1)


class Assets(HTMLParser):
    """What a page loads, and anything a strict CSP would block."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[str] = []
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and found.get("src"):
            self.loaded.append(found["src"])
        elif tag == "script":
            self.inline.append("script")
        if tag == "link" and found.get("rel") in {"stylesheet", "manifest", "icon"}:
            self.loaded.append(found["href"])
        if tag == "style":
            self.inline.append("style")
        self.inline += [name for name in found if name == "style" or name.startswith("on")]


def assets_of(html: str) -> Assets:
    parser = Assets()
    parser.feed(html)
    return parser


# --- The manifest ------------------------------------------------------------------------


def test_the_manifest_has_what_an_installable_app_needs():
    data = manifest()
    assert data["name"] == "Students Tracker"
    assert data["short_name"]
    assert data["start_url"] == "/attendance/today/"
    assert data["scope"] == "/"
    assert data["display"] == "standalone"
    assert data["theme_color"] == css_variable("--color-primary")
    assert data["background_color"] == css_variable("--color-bg")


def test_the_manifest_icons_exist_with_their_declared_sizes():
    icons = manifest()["icons"]
    assert {icon["sizes"] for icon in icons} == {"192x192", "512x512"}
    assert [icon["purpose"] for icon in icons].count("maskable") == 1
    for icon in icons:
        # Relative to the manifest, which is served from /static/.
        path = finders.find(icon["src"])
        assert path, icon["src"]
        assert icon["type"] == "image/png"
        width, height = png_size(Path(path))
        assert f"{width}x{height}" == icon["sizes"]


def test_the_committed_icons_are_what_the_script_draws():
    spec = importlib.util.spec_from_file_location("make_icons", SCRIPTS / "make_icons.py")
    make_icons = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_icons)
    size, maskable = make_icons.ICONS["icon-192.png"]
    drawn = make_icons.png(size, make_icons.render(size, make_icons.shader(maskable=maskable)))
    assert drawn == (STATIC / "img" / "icon-192.png").read_bytes()


def test_pages_link_the_manifest_and_the_theme_colour(client):
    html = client.get("/accounts/login/").content.decode()
    assert '<link rel="manifest" href="/static/manifest.webmanifest">' in html
    assert f'<meta name="theme-color" content="{manifest()["theme_color"]}">' in html
    assert '<script src="/static/js/pwa.js" defer></script>' in html


# --- The service worker ------------------------------------------------------------------


def test_the_service_worker_is_served_from_the_root_with_its_headers(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript"
    assert response["Cache-Control"] == "no-cache"
    assert response["Service-Worker-Allowed"] == "/"


def test_the_service_worker_is_the_static_file_after_the_queue_modules_address(client):
    body = client.get("/sw.js").content.decode()
    prelude, script = body.split("\n", 1)
    assert prelude == 'self.TRACKER_LOG_QUEUE_URL = "/static/js/log-queue.js";'
    assert script == (STATIC / "sw.js").read_text()
    assert "importScripts(self.TRACKER_LOG_QUEUE_URL)" in script


def test_the_service_worker_may_import_its_module_and_call_the_api(client):
    # A worker's own CSP decides its importScripts and fetches: same origin only.
    policy = client.get("/sw.js")["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "connect-src 'self'" in policy


@pytest.mark.parametrize("url", ["/sw.js", "/offline/"])
def test_the_app_files_refuse_writes(client, url):
    assert client.post(url).status_code == 405


def test_the_service_worker_needs_no_database(client, tutor, django_assert_num_queries):
    client.force_login(tutor)
    with django_assert_num_queries(0):
        assert client.get("/sw.js").status_code == 200


# --- The offline page --------------------------------------------------------------------


def test_the_offline_page_renders(client):
    response = client.get("/offline/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>You are offline</h1>" in html
    assert 'href="/attendance/today/"' in html
    assert 'href="/calendar/"' in html


def test_the_offline_page_carries_nothing_of_the_person_signed_in(
    client, tutor, django_assert_num_queries
):
    # It is cached on the device and shown to whoever is offline next.
    tutor.first_name = "Zanele"
    tutor.save()
    client.force_login(tutor)
    with django_assert_num_queries(0):
        html = client.get("/offline/").content.decode()
    assert "Zanele" not in html
    assert "csrfmiddlewaretoken" not in html
    assert "X-CSRFToken" not in html


def test_the_offline_page_loads_only_what_the_csp_allows(client):
    response = client.get("/offline/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assets = assets_of(response.content.decode())
    assert assets.inline == []
    assert assets.loaded
    assert all(url.startswith("/static/") and finders.find(url[8:]) for url in assets.loaded)


# --- The today page ----------------------------------------------------------------------


@pytest.fixture
def this_morning(moderator, tutor):
    from tests.students.conftest import StudentFactory
    from tracker.scheduling.services import session_create

    start = timezone.localtime().replace(hour=0, minute=5, second=0, microsecond=0)
    student = StudentFactory(tutors=[tutor])
    return session_create(
        actor=moderator,
        tutor=tutor,
        students=[student],
        start=start,
        end=start + timedelta(hours=1),
    )


def test_the_today_page_loads_the_offline_queue_within_the_csp(client, tutor, this_morning):
    client.force_login(tutor)
    response = client.get("/attendance/today/")
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assets = assets_of(response.content.decode())
    assert assets.inline == []
    for file in ("css/offline.css", "js/log-queue.js", "js/offline-log.js"):
        assert f"/static/{file}" in assets.loaded
    assert all(url.startswith("/static/") and finders.find(url[8:]) for url in assets.loaded)


def test_the_today_page_hands_the_script_its_session_and_words(client, tutor, this_morning):
    client.force_login(tutor)
    html = client.get("/attendance/today/").content.decode()
    assert f'data-user="{tutor.pk}"' in html
    assert 'data-text-waiting="Waiting to sync"' in html
    assert f'data-session="{this_morning.pk}" data-prefix="s{this_morning.pk}"' in html
    # The start the tutor saw, for the server to notice a move made meanwhile.
    seen = re.search(r'data-start="([^"]+)"', html).group(1)
    assert datetime.fromisoformat(seen) == this_morning.start
    assert f'id="session-{this_morning.pk}-sync" role="status"' in html
    # Without JavaScript the form still posts to the page's own view.
    assert f'action="/attendance/sessions/{this_morning.pk}/log/"' in html
    assert ">Log anyway</button>" in html
    assert ">Discard</button>" in html


def test_the_offline_scripts_exist_where_the_worker_and_pages_load_them():
    for file in ("sw.js", "js/pwa.js", "js/log-queue.js", "js/offline-log.js", "css/offline.css"):
        assert finders.find(file), file

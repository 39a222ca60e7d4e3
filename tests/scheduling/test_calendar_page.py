"""The calendar page (/calendar/): who may open it, what each role is given, and a strict-CSP
shell (no inline script or style) whose JSON config carries nothing the role may not see."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tests.students.conftest import StudentFactory
from tracker.accounts.models import Role

URL = "/calendar/"
MANAGE_CONTROLS = [
    'id="new-session-button"',
    'id="new-session-dialog"',
    'id="cancel-form"',
    'id="move-form"',
]


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text of each <script>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self.scripts.append((dict(attrs), ""))

    def handle_data(self, data: str) -> None:
        if self.lasttag == "script" and self.scripts and not self.scripts[-1][1]:
            self.scripts[-1] = (self.scripts[-1][0], data)


def parse(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    return tags


def config_of(response) -> dict:
    scripts = [
        text
        for attrs, text in parse(response.content.decode()).scripts
        if attrs.get("id") == "calendar-config"
    ]
    assert len(scripts) == 1
    return json.loads(scripts[0])


def test_the_url_is_named_calendar_index():
    assert reverse("calendar:index") == URL


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 302), ("tutor", 200), ("moderator", 200), ("admin", 200)],
)
def test_access(request, client, db, role, status):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))

    response = client.get(URL)

    assert response.status_code == status
    if role == "anonymous":
        assert response["Location"] == f"{reverse('accounts:login')}?next={URL}"
    else:
        assert "scheduling/calendar/index.html" in [t.name for t in response.templates]


def test_an_inactive_account_is_sent_to_sign_in(client, tutor):
    tutor.is_active = False
    tutor.save()
    client.force_login(tutor)

    response = client.get(URL)

    assert response.status_code == 302


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_the_page_only_answers_get(client, moderator, method):
    client.force_login(moderator)

    response = getattr(client, method)(URL)

    assert response.status_code == 405


@pytest.mark.parametrize("role", ["moderator", "admin"])
def test_managers_get_the_controls_to_book_move_and_cancel(request, client, role):
    client.force_login(request.getfixturevalue(role))

    html = client.get(URL).content.decode()

    for control in MANAGE_CONTROLS:
        assert control in html
    assert 'id="calendar-filters"' in html
    assert "calendar-new-session.js" in html
    assert "calendar-filters.js" in html


def test_tutors_get_no_controls_to_manage_and_no_filters(client, tutor):
    client.force_login(tutor)

    html = client.get(URL).content.decode()

    for control in MANAGE_CONTROLS:
        assert control not in html
    assert 'id="calendar-filters"' not in html
    assert "calendar-new-session.js" not in html
    assert "calendar-filters.js" not in html
    assert "My calendar" in html


@pytest.mark.parametrize("role", ["tutor", "moderator", "admin"])
def test_the_page_has_no_inline_script_or_style(request, client, role):
    client.force_login(request.getfixturevalue(role))

    tags = parse(client.get(URL).content.decode())

    for attrs, text in tags.scripts:
        # Either a file, loaded after parsing, or data that is never executed.
        if attrs.get("type") == "application/json":
            assert json.loads(text)
        else:
            assert attrs.get("src", "").startswith("/static/"), attrs
            assert "defer" in attrs, attrs
            assert not text.strip()
    for tag, attrs in tags.tags:
        assert tag != "style"
        assert "style" not in attrs, (tag, attrs)
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)


def test_the_page_loads_fullcalendar_and_its_theme_from_static(client, tutor):
    client.force_login(tutor)

    html = client.get(URL).content.decode()

    for path in [
        "vendor/fullcalendar-7.1.0/fullcalendar.global.js",
        "vendor/fullcalendar-7.1.0/themes/classic/global.js",
        "vendor/fullcalendar-7.1.0/skeleton.css",
        "vendor/fullcalendar-7.1.0/themes/classic/theme.css",
        "vendor/fullcalendar-7.1.0/themes/classic/palette.css",
        "css/calendar.css",
        "js/calendar.js",
    ]:
        assert f"/static/{path}" in html


def test_the_legend_names_each_status_next_to_its_colour_and_symbol(client, tutor):
    client.force_login(tutor)

    html = client.get(URL).content.decode()

    for status, label, marker in [
        ("scheduled", "Scheduled", "○"),
        ("completed", "Completed", "✓"),
        ("cancelled", "Cancelled", "✕"),
    ]:
        pattern = rf'cal-chip--{status}" aria-hidden="true">{marker}</span>{label}</li>'
        assert re.search(pattern, html), status


def test_a_tutors_config_holds_only_their_own_capabilities_and_words(client, tutor):
    tutor.time_zone = "Europe/London"
    tutor.save()
    other = UserFactory(username="hidden-colleague", last_name="Hiddencolleague")
    StudentFactory(first_name="Zanele", last_name="Secretname", tutors=[other])
    client.force_login(tutor)

    response = client.get(URL)
    config = config_of(response)

    assert config["canManage"] is False
    assert config["canSeeAll"] is False
    assert config["timeZone"] == "Europe/London"
    assert config["apiRoot"] == "/api/v1"
    assert set(config) == {
        "timeZone",
        "canManage",
        "canSeeAll",
        "apiRoot",
        "pollSeconds",
        "statuses",
        "strings",
    }
    text = json.dumps(config, ensure_ascii=False)
    for secret in [other.username, other.last_name, other.email, "Secretname"]:
        assert secret not in text


@pytest.mark.parametrize("role", ["moderator", "admin"])
def test_a_managers_config_says_so_and_still_lists_no_people(request, client, db, role, settings):
    # The lists for filters and forms come from the API, which checks who asks.
    tutor = UserFactory(username="listed-tutor", last_name="Listedtutor")
    StudentFactory(first_name="Zanele", last_name="Secretname", tutors=[tutor])
    client.force_login(request.getfixturevalue(role))

    config = config_of(client.get(URL))

    assert config["canManage"] is True
    assert config["canSeeAll"] is True
    assert config["timeZone"] == settings.TIME_ZONE
    text = json.dumps(config, ensure_ascii=False)
    for name in [tutor.username, tutor.last_name, "Secretname"]:
        assert name not in text


def test_the_config_translates_the_words_the_scripts_show(client, moderator):
    client.force_login(moderator)

    strings = config_of(client.get(URL))["strings"]

    assert strings["moved"] == "Moved."
    assert strings["undone"] == "Move undone."
    assert "%(tutor)s" in strings["clash"]
    assert all(isinstance(value, str) and value for value in strings.values())


def test_a_tutor_gets_only_the_words_of_what_they_can_do(client, tutor):
    client.force_login(tutor)

    strings = config_of(client.get(URL))["strings"]

    assert strings["today"] == "Today"
    assert not {"moved", "clash", "created", "tutorOwn"} & set(strings)


def test_another_tutors_page_shows_nothing_of_the_first(client, tutor):
    other = UserFactory(
        username="someone-else", role=Role.TUTOR, first_name="Other", last_name="Person"
    )
    client.force_login(tutor)

    html = client.get(URL).content.decode()

    assert "Person" not in html
    assert other.username not in html

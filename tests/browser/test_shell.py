from __future__ import annotations

from playwright.sync_api import expect


def test_home_page_is_clean_and_accessible(visit):
    visit.goto("/")
    expect(visit.page.get_by_role("heading", level=1)).to_be_visible()
    expect(visit.page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(visit.page.get_by_role("main")).to_be_visible()
    visit.check("home")


def test_skip_link_is_the_first_stop_and_moves_focus_to_the_content(visit):
    visit.goto("/")
    visit.page.keyboard.press("Tab")
    skip = visit.page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    visit.page.keyboard.press("Enter")
    expect(visit.page.locator("#main")).to_be_focused()


def test_page_fits_the_screen_without_sideways_scrolling(visit):
    visit.goto("/")
    overflow = visit.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def test_htmx_loads_under_the_content_security_policy(visit):
    visit.goto("/")
    assert visit.page.evaluate("typeof htmx") == "object"
    assert visit.page.evaluate("htmx.config.includeIndicatorStyles") is False
    assert visit.console_errors == []

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Page

SCREENS = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1280, "height": 800},
}
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "screenshots"
# Every Content-Security-Policy violation the page reports, so that inline script or style
# fails the test even when the page still works.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  const what = e.blockedURI || 'inline';
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__cspViolations.push(`${e.violatedDirective} blocked ${what} at ${where}`);
});
"""
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@dataclass
class Visit:
    """One person's browser tab: collects console errors, runs axe, saves screenshots."""

    page: Page
    screen: str
    test_name: str
    console_errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.add_init_script(CSP_LISTENER)
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.console_errors.append(str(error)))

    def _on_console(self, message) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def goto(self, path: str) -> None:
        response = self.page.goto(path)
        assert response is not None
        assert response.ok, f"{path} answered {response.status}"

    def check(self, label: str) -> None:
        """Screenshot, then fail on console errors and on WCAG A/AA violations."""
        self.screenshot(label)
        assert self.console_errors == [], self.console_errors
        blocked = self.page.evaluate("window.__cspViolations || []")
        assert blocked == [], blocked
        # Pages repair what a library renders (the calendar's roles) in the next animation
        # frame; on a busy machine axe could otherwise look between the two.
        self.page.evaluate(
            "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
        )
        violations = self.page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
            ".then(r => r.violations.map(v => ({id: v.id, help: v.help, "
            "nodes: v.nodes.map(n => n.target.join(' '))})))",
            WCAG_TAGS,
        )
        assert violations == [], violations

    def screenshot(self, label: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^a-z0-9-]+", "-", f"{self.test_name}-{label}-{self.screen}".lower())
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

"""A static security scan (bandit) of the product's code, with no unexplained finding."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("bandit.yaml")

# Findings explained here rather than beside the code: (test id, file, text on the flagged
# line) → why it is safe. Prefer an explanation next to the code.
EXPLAINED = {
    ("B608", "tracker/lib/rotation.py", "SELECT {quote(pk)}"):
        "table and column names come from the models' own metadata, quoted by the database "
        "backend; no value from a request reaches the statement",
    ("B608", "tracker/lib/rotation.py", "UPDATE {quote(table)}"):
        "names from the models' metadata, quoted; the values are query parameters",
    ("B608", "tracker/core/backup.py", "SELECT substr({column}"):
        "names from the models' metadata, quoted; the offset is an integer computed in code "
        "and the prefix a constant of tracker.lib.crypto",
    ("B406", "tracker/finance/documents.py", "from xml.sax.saxutils import escape"):
        "escape() escapes text for ReportLab's paragraph markup; no XML is parsed",
    ("B105", "tracker/accounts/services.py", '{"password": "changed"}'):
        "the audit entry records that the password changed; the literal is not a password",
}  # fmt: skip


def scan() -> list[dict]:
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", "tracker", "config", "-c", str(CONFIG),
         "-f", "json", "-q"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    report = json.loads(result.stdout)
    assert report["errors"] == [], report["errors"]
    return report["results"]


def explained_beside_the_code(finding: dict) -> bool:
    """A ruff `# noqa: S<same number>` with a reason, on one of the flagged lines."""
    code = "S" + finding["test_id"][1:]
    lines = (ROOT / finding["filename"]).read_text().splitlines()
    reason = re.compile(rf"#\s*noqa:[^#]*\b{code}\b[^#]*?(\s-\s*|\s\(|:\s)\w+")
    first, last = min(finding["line_range"]), max(finding["line_range"])
    return any(reason.search(line) for line in lines[first - 1 : last])


def explained_here(finding: dict) -> bool:
    lines = (ROOT / finding["filename"]).read_text().splitlines()
    flagged = "\n".join(lines[min(finding["line_range"]) - 1 : max(finding["line_range"])])
    return any(
        test_id == finding["test_id"] and path == finding["filename"] and text in flagged
        for test_id, path, text in EXPLAINED
    )


@pytest.fixture(scope="module")
def findings() -> list[dict]:
    return scan()


def test_every_bandit_finding_is_explained(findings):
    unexplained = [
        f"{f['filename']}:{f['line_number']} {f['test_id']} {f['issue_text']}"
        for f in findings
        if not (explained_beside_the_code(f) or explained_here(f))
    ]
    assert unexplained == []


def test_every_explanation_here_still_matches_a_finding(findings):
    """An explanation whose finding went away is removed, so the table stays honest."""
    for test_id, path, text in EXPLAINED:
        assert any(
            f["test_id"] == test_id and f["filename"] == path and explained_here(f)
            for f in findings
        ), (test_id, path, text)


def test_a_bare_noqa_is_not_an_explanation(tmp_path):
    finding = {"test_id": "B608", "filename": "x.py", "line_range": [1]}
    for line, expected in [
        ('q = f"SELECT {t}"  # noqa: S608', False),
        ('q = f"SELECT {t}"  # noqa: S608 - names from the model', True),
        ('q = f"SELECT {t}"  # noqa: S608 (a catalogue name)', True),
        ('q = f"SELECT {t}"  # noqa: S603 - another check', False),
    ]:
        (tmp_path / "x.py").write_text(line)
        finding["filename"] = str(tmp_path / "x.py")
        assert explained_beside_the_code(finding) is expected, line

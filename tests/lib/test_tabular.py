"""Reports leave as CSV that reads back cell for cell and as a spreadsheet with typed cells."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO, StringIO

import pytest
from openpyxl import load_workbook

from tracker.lib.tabular import (
    XLSX_TYPE,
    Column,
    Table,
    csv_bytes,
    table_response,
    xlsx_bytes,
)

COLUMNS = [
    Column("name", "Name"),
    Column("day", "Day", "date"),
    Column("sessions", "Sessions", "int", total=True),
    Column("hours", "Hours", "decimal", total=True),
    Column("amount", "Amount (ZAR)", "money", total=True),
    Column("note", "Note"),
]
ROWS = [
    {"name": "Zoë Ngcobo", "day": date(2026, 3, 2), "sessions": 4, "hours": Decimal("3.50"),
     "amount": Decimal("1050.00"), "note": 'Said "thanks", paid early'},
    {"name": "Van Wyk, Pieter", "day": date(2026, 3, 9), "sessions": 1, "hours": Decimal("0.75"),
     "amount": Decimal("262.50"), "note": "two\nlines"},
    {"name": "=HYPERLINK(\"http://evil\")", "day": None, "sessions": 0, "hours": Decimal("0"),
     "amount": Decimal("-12.5"), "note": None},
]  # fmt: skip


def table(rows=None, columns=COLUMNS) -> Table:
    return Table(title="Revenue", columns=columns, rows=ROWS if rows is None else rows)


def read_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(StringIO(content.decode("utf-8-sig"), newline="")))


# --- CSV ---------------------------------------------------------------------------------


def test_csv_starts_with_a_byte_order_mark_and_is_utf8():
    content = csv_bytes(table())
    assert content.startswith(b"\xef\xbb\xbf")
    assert "Zoë Ngcobo".encode() in content


def test_csv_reads_back_cell_for_cell_with_a_totals_row():
    rows = read_csv(csv_bytes(table()))
    assert rows == [
        ["Name", "Day", "Sessions", "Hours", "Amount (ZAR)", "Note"],
        ["Zoë Ngcobo", "2026-03-02", "4", "3.50", "1050.00", 'Said "thanks", paid early'],
        ["Van Wyk, Pieter", "2026-03-09", "1", "0.75", "262.50", "two\nlines"],
        ['\'=HYPERLINK("http://evil")', "", "0", "0.00", "-12.50", ""],
        # 4 + 1 + 0 sessions; 3.50 + 0.75 + 0 hours; 1050 + 262.50 - 12.50.
        ["Total", "", "5", "4.25", "1300.00", ""],
    ]


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+27 82 123 4567", "'+27 82 123 4567"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        # Numbers stay numbers, and text that merely contains a sign is left alone.
        ("-42", "-42"),
        ("+3.5", "+3.5"),
        ("Smith-Jones", "Smith-Jones"),
        ("a=b", "a=b"),
    ],
)
def test_csv_neutralises_text_that_looks_like_a_formula(text, written):
    columns = [Column("name", "Name")]
    [_header, [cell]] = read_csv(csv_bytes(table([{"name": text}], columns)))
    assert cell == written


def test_csv_without_total_columns_has_no_totals_row():
    columns = [Column("name", "Name"), Column("day", "Day", "date")]
    rows = read_csv(csv_bytes(table(columns=columns)))
    assert len(rows) == 1 + len(ROWS)
    assert "Total" not in rows[-1]


def test_csv_of_an_empty_report_has_zero_totals():
    [_header, totals] = read_csv(csv_bytes(table(rows=[])))
    assert totals[0] == "Total"
    assert [Decimal(cell) for cell in totals[2:5]] == [0, 0, 0]
    # Money and hours say 0.00, as a non-empty report would; counts say 0.
    assert totals[2:5] == ["0", "0.00", "0.00"]


def test_csv_writes_times_in_the_business_time_zone():
    columns = [Column("at", "At")]
    moment = datetime(2026, 3, 10, 13, 30, tzinfo=UTC)
    [_header, [cell]] = read_csv(csv_bytes(table([{"at": moment}], columns)))
    assert cell == "2026-03-10T15:30+02:00"  # Africa/Johannesburg


# --- XLSX --------------------------------------------------------------------------------


def sheet_of(content: bytes):
    return load_workbook(BytesIO(content)).active


def test_xlsx_cells_are_typed_numbers_and_dates():
    sheet = sheet_of(xlsx_bytes(table()))
    assert sheet.title == "Revenue"
    assert [c.value for c in sheet[1]] == [c.label for c in COLUMNS]
    name, day, sessions, hours, amount, note = sheet[2]
    assert (name.value, name.data_type) == ("Zoë Ngcobo", "s")
    assert day.is_date
    assert day.value.date() == date(2026, 3, 2)
    assert day.number_format == "yyyy-mm-dd"
    assert sessions.data_type == "n"
    assert sessions.value == 4
    assert isinstance(sessions.value, int)
    assert hours.data_type == "n"
    assert Decimal(str(hours.value)) == Decimal("3.50")
    assert amount.data_type == "n"
    assert Decimal(str(amount.value)) == Decimal("1050.00")
    assert amount.number_format == "#,##0.00"
    assert note.value == 'Said "thanks", paid early'


def test_xlsx_has_a_bold_totals_row_and_a_bold_frozen_header():
    sheet = sheet_of(xlsx_bytes(table()))
    assert sheet.max_row == 1 + len(ROWS) + 1
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    totals = sheet[sheet.max_row]
    assert all(cell.font.b for cell in totals)
    assert totals[0].value == "Total"
    assert totals[2].value == 5
    assert Decimal(str(totals[3].value)) == Decimal("4.25")
    assert Decimal(str(totals[4].value)) == Decimal("1300.00")
    assert totals[4].data_type == "n"
    assert not any(cell.font.b for cell in sheet[2])


def test_xlsx_empty_cells_stay_empty_and_a_formula_stays_text():
    sheet = sheet_of(xlsx_bytes(table()))
    name, day, *_rest, note = sheet[4]
    assert name.data_type == "s"
    assert name.value.startswith("'=")
    assert day.value is None
    assert note.value is None


def test_xlsx_sheet_title_is_cut_to_excels_limit():
    long = Table(title="Revenue by student for the whole school year", columns=COLUMNS, rows=[])
    assert sheet_of(xlsx_bytes(long)).title == "Revenue by student for the whol"


def test_xlsx_writes_times_as_local_wall_clock():
    columns = [Column("at", "At")]
    moment = datetime(2026, 3, 10, 13, 30, tzinfo=UTC)
    sheet = sheet_of(xlsx_bytes(table([{"at": moment}], columns)))
    # Spreadsheets have no time zones: the cell holds the local wall-clock time.
    local = datetime(2026, 3, 10, 15, 30)  # noqa: DTZ001
    assert sheet["A2"].value == local


# --- Downloads ---------------------------------------------------------------------------


def test_a_table_downloads_as_a_csv_attachment():
    response = table_response(table(), "revenue-2026", "csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="revenue-2026.csv"'
    assert response.content == csv_bytes(table())


def test_a_table_downloads_as_an_xlsx_attachment():
    response = table_response(table(), "revenue-2026", "xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="revenue-2026.xlsx"'
    assert sheet_of(response.content)["A2"].value == "Zoë Ngcobo"

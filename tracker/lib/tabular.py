"""Reports as tables that leave as CSV or as a real spreadsheet (typed cells, totals).

A report builds a `Table` once; `csv_response` and `xlsx_response` turn it into a
download, so the page, the API and every format show the same figures.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO, StringIO
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMERIC_KINDS = ("int", "decimal", "money", "percent")
FORMATS = {
    "money": "#,##0.00",
    "decimal": "#,##0.00",
    "int": "0",
    "date": "yyyy-mm-dd",
    "month": "yyyy-mm",
    "percent": "0.0%",
}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # text | int | decimal | money | date | month | percent (0..1)
    total: bool = False


@dataclass
class Table:
    title: str
    columns: Sequence[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    # Figures of the totals row that are not sums (a rate over all rows), by column key.
    overall: dict[str, Any] = field(default_factory=dict)

    def totals(self) -> dict[str, Any] | None:
        summed = [c for c in self.columns if c.total]
        if not summed:
            return None
        totals: dict[str, Any] = {
            c.key: sum((r[c.key] or 0 for r in self.rows), 0 if c.kind == "int" else Decimal(0))
            for c in summed
        }
        totals.update(self.overall)
        totals[self.columns[0].key] = "Total"
        return totals


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    # A cell that starts like a formula is data, not a command (CSV injection).
    return (
        "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _number(text) else text
    )


def _number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def csv_bytes(table: Table) -> bytes:
    out = StringIO()
    writer = csv.writer(out)
    writer.writerow([c.label for c in table.columns])
    for row in _rows_with_totals(table):
        writer.writerow([_text(row.get(c.key)) for c in table.columns])
    # A byte-order mark lets spreadsheet programs read the UTF-8 names correctly.
    return ("\ufeff" + out.getvalue()).encode()


def xlsx_bytes(table: Table) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = table.title[:31]
    sheet.append([c.label for c in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    rows = list(_rows_with_totals(table))
    for row in rows:
        sheet.append([_cell(row.get(c.key), c) for c in table.columns])
    for index, column in enumerate(table.columns, start=1):
        letter = get_column_letter(index)
        if column.kind in FORMATS:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = FORMATS[column.kind]
        sheet.column_dimensions[letter].width = max(12, len(column.label) + 2)
    if table.totals() is not None:
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: Any, column: Column) -> Any:
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, str):
        return _text(value)
    return value


def _rows_with_totals(table: Table) -> Iterable[dict[str, Any]]:
    yield from table.rows
    totals = table.totals()
    if totals is not None:
        yield totals


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def display(value: Any, column: Column) -> str:
    """A figure as people read it, on the page and in the PDF."""
    if value is None:
        return "–"
    if column.kind == "percent":
        return f"{value * 100:.1f} %"
    if column.kind == "month" and isinstance(value, date):
        return date_format(value, "M Y")
    if column.kind in ("money", "decimal") and isinstance(value, Decimal | int | float):
        return f"{value:,.2f}"
    if column.kind == "int" and isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


PDF_TYPE = "application/pdf"


def pdf_bytes(table: Table, subtitle: str = "") -> bytes:
    """The table as a printable A4 document (landscape when it is wide), the header row
    repeated on every page and the totals row in bold."""
    styles = getSampleStyleSheet()
    cell = styles["BodyText"].clone("cell", fontSize=8, leading=10)
    numeric = {i for i, c in enumerate(table.columns) if c.kind in NUMERIC_KINDS}
    right = cell.clone("right", alignment=2)

    def para(text: str, index: int, bold: bool = False) -> Paragraph:
        text = escape(text)
        return Paragraph(f"<b>{text}</b>" if bold else text, right if index in numeric else cell)

    data = [[para(c.label, i, bold=True) for i, c in enumerate(table.columns)]]
    rows = list(_rows_with_totals(table))
    totals = table.totals()
    for row in rows:
        bold = totals is not None and row is totals
        data.append(
            [para(display(row.get(c.key), c), i, bold) for i, c in enumerate(table.columns)]
        )
    size = landscape(A4) if len(table.columns) > 6 else A4
    out = BytesIO()
    document = SimpleDocTemplate(
        out, pagesize=size, leftMargin=12 * mm, rightMargin=12 * mm, title=table.title
    )
    grid = PdfTable(data, repeatRows=1)
    grid.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e5e7eb")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story = [Paragraph(escape(table.title), styles["Heading1"])]
    if subtitle:
        story.append(Paragraph(escape(subtitle), styles["BodyText"]))
    story += [Spacer(1, 4 * mm), grid]
    if not table.rows:
        story.append(Paragraph(escape("No figures for this period."), styles["BodyText"]))
    document.build(story)
    return out.getvalue()


def csv_response(table: Table, filename: str) -> HttpResponse:
    return _download(csv_bytes(table), "text/csv; charset=utf-8", f"{filename}.csv")


def xlsx_response(table: Table, filename: str) -> HttpResponse:
    return _download(xlsx_bytes(table), XLSX_TYPE, f"{filename}.xlsx")


def pdf_response(table: Table, filename: str, subtitle: str = "") -> HttpResponse:
    return _download(pdf_bytes(table, subtitle), PDF_TYPE, f"{filename}.pdf")


def table_response(table: Table, filename: str, fmt: str, subtitle: str = "") -> HttpResponse:
    if fmt == "pdf":
        return pdf_response(table, filename, subtitle)
    return xlsx_response(table, filename) if fmt == "xlsx" else csv_response(table, filename)

from django import template

from tracker.lib.tabular import Column, display

register = template.Library()


@register.filter
def cell(row: dict, column: Column) -> str:
    """A row's figure in a column, as people read it (the same text as in the PDF)."""
    return display(row.get(column.key), column)


@register.filter
def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"

"""The audit trail page: administrators browse and filter every recorded change."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from tracker.accounts.permissions import Cap, require
from tracker.audit.forms import AuditFilterForm
from tracker.audit.models import AuditLog
from tracker.audit.selectors import audit_log_list

PER_PAGE = 50


@login_required
@require_GET
# The same URL answers a whole page or only the results: caches must keep them apart.
@vary_on_headers("HX-Request")
def audit_log(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.AUDIT_VIEW)
    form = AuditFilterForm(request.GET)
    page = None
    if form.is_valid():
        entries = audit_log_list(user=request.user, **form.cleaned_data)
        page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": [_row(entry) for entry in page] if page else [],
    }
    # A history restore after a cache miss needs the whole page, not the fragment.
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "audit/log.html#results", context)
    return render(request, "audit/log.html", context)


def _row(entry: AuditLog) -> dict[str, Any]:
    return {"entry": entry, "changes": format_changes(entry.changes)}


def format_changes(changes: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, "old → new") pairs; a value that is not an [old, new] pair is shown as is."""
    formatted = []
    for key, value in changes.items():
        if isinstance(value, list) and len(value) == 2:
            text = _("%(old)s → %(new)s") % {"old": _show(value[0]), "new": _show(value[1])}
        else:
            text = _show(value)
        formatted.append((key, text))
    return formatted


def _show(value: Any) -> str:
    if value is None or value == "":
        return "∅"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)

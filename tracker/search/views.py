from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tracker.accounts.permissions import Cap, require
from tracker.search.forms import SearchForm
from tracker.search.selectors import (
    KINDS,
    MAX_LENGTH,
    MIN_LENGTH,
    clean_query,
    kinds_for,
    search,
)

# The header's suggestions stay short enough for a phone's screen.
BOX_LIMIT = 5
# Every kind on one page, then one kind at a time, page by page.
OVERVIEW_LIMIT = 10
PER_PAGE = 25
MAX_PAGE = 400


def _page_number(value: str | None) -> int:
    return min(int(value), MAX_PAGE) if value and value.isdigit() and int(value) > 0 else 1


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.SEARCH)
    form = SearchForm(request.GET or None, user=request.user)
    results = page = kind = None
    if form.is_valid() and len(form.cleaned_data["q"]) >= MIN_LENGTH:
        query, kind = form.cleaned_data["q"], form.cleaned_data["kind"] or None
        if kind:
            number = _page_number(request.GET.get("page"))
            offset = (number - 1) * PER_PAGE
            results = search(
                user=request.user, query=query, kind=kind, limit=PER_PAGE, offset=offset
            )
            page = Paginator(range(results.total), PER_PAGE).get_page(number)
            if page.number != number:
                # Past the last page (an old link): show the last one instead.
                offset = page.start_index() - 1
                results = search(
                    user=request.user, query=query, kind=kind, limit=PER_PAGE, offset=offset
                )
        else:
            results = search(user=request.user, query=query, limit=OVERVIEW_LIMIT)
    context = {
        "form": form,
        "results": results,
        "page": page,
        "kind": kind,
        "searchable": [KINDS[name].label for name in kinds_for(request.user)],
        "min_length": MIN_LENGTH,
    }
    return render(request, "search/index.html", context)


@login_required
@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    """The header box's dropdown (htmx): a few hits of each kind while the person types."""
    require(request.user, Cap.SEARCH)
    query = clean_query(request.GET.get("q", ""))
    results = None
    if MIN_LENGTH <= len(query) <= MAX_LENGTH:
        results = search(user=request.user, query=query, limit=BOX_LIMIT)
    return render(request, "search/suggestions.html", {"results": results})

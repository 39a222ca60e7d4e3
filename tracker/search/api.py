"""/api/v1/search: the global search of the header box, for apps.

The same selector as the page, so the same scope: each person finds only what they may
open. No `from __future__ import annotations`: ninja reads these annotations at import time.
"""

from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from tracker.search import selectors

router = Router(tags=["search"])

SearchKind = Literal["students", "tutors", "sessions", "messages"]


class SearchParams(Schema):
    q: str = Field(
        min_length=selectors.MIN_LENGTH,
        max_length=selectors.MAX_LENGTH,
        description="Words to find; each must match the start of a word (a name, a subject, "
        "a place) or, in messages, a whole word",
    )
    kind: SearchKind | None = Field(None, description="Only this kind (default: every kind)")
    limit: int = Field(8, ge=1, le=50, description="Results of each kind")
    offset: int = Field(0, ge=0, le=10_000, description="Skip this many of each kind")


class HitOut(Schema):
    kind: SearchKind
    id: int
    title: str
    subtitle: str
    url: str = Field(description="The page that shows it")


class GroupOut(Schema):
    kind: SearchKind
    label: str
    total: int = Field(description="How many of this kind match, in all")


class SearchOut(Schema):
    query: str = Field(description="The query as it was searched")
    results: list[HitOut]
    groups: list[GroupOut] = Field(description="Each kind searched, with its total")


@router.get("", response=SearchOut, summary="Find students, accounts, sessions and messages")
def search(request: HttpRequest, params: Query[SearchParams]) -> dict:
    found = selectors.search(
        user=request.auth,
        query=params.q,
        kind=params.kind,
        limit=params.limit,
        offset=params.offset,
    )
    return {"query": found.query, "results": found.hits, "groups": found.groups}

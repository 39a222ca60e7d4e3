"""/api/v1/calendar/feed: the signed-in person's private ICS link.

No `from __future__ import annotations`: ninja reads these annotations at import time.
"""

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from tracker.scheduling import ics

router = Router(tags=["calendar"])


class FeedOut(Schema):
    url: str = Field(description="Private subscription address; anyone who has it can read it")


@router.get("/feed", response=FeedOut, summary="My calendar subscription link (made if missing)")
def feed_get(request: HttpRequest) -> dict[str, str]:
    feed = ics.feed_for(user=request.auth)
    return {"url": ics.feed_url(request=request, feed=feed)}


@router.delete("/feed", response={204: None}, summary="Revoke my calendar subscription link")
def feed_delete(request: HttpRequest) -> Status:
    ics.feed_revoke(user=request.auth)
    return Status(204, None)

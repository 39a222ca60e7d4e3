from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tracker.accounts.permissions import Cap, can, require
from tracker.core.forms import add_service_errors
from tracker.messaging import selectors, services
from tracker.messaging.forms import BroadcastForm, ConversationForm, PreferencesForm, ReplyForm

PAGE_SIZE = 25


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    threads = selectors.thread_list(user=request.user, query=query)
    page = Paginator(threads, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "threads": page.object_list,
        "query": query,
        "can_send": can(request.user, Cap.MESSAGE_SEND_TUTORS),
        "can_broadcast": can(request.user, Cap.MESSAGE_BROADCAST),
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "messaging/inbox.html#thread-list", context)
    return render(request, "messaging/inbox.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def compose(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.MESSAGE_SEND_TUTORS)
    form = ConversationForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["branch"]:
                thread = services.group_send(
                    actor=request.user,
                    branch=data["branch"],
                    subject=data["subject"],
                    body=data["body"],
                )
            else:
                thread = services.thread_start(
                    actor=request.user,
                    recipients=data["recipients"],
                    subject=data["subject"],
                    body=data["body"],
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Message sent."))
            return redirect("messaging:thread", thread.pk)
    return render(request, "messaging/compose.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def broadcast(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.MESSAGE_BROADCAST)
    form = BroadcastForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            thread = services.broadcast_send(
                actor=request.user, audience=data["audience"], role=data["role"] or None,
                branch=data["branch"], subject=data["subject"], body=data["body"],
            )  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Announcement sent."))
            return redirect("messaging:thread", thread.pk)
    return render(request, "messaging/broadcast.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def thread(request: HttpRequest, thread_id: int) -> HttpResponse:
    current, thread_messages = selectors.thread_messages(user=request.user, thread_id=thread_id)
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.message_reply(
                actor=request.user, thread=current, body=form.cleaned_data["body"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("messaging:thread", current.pk)
    # Opening the thread reads it; an open page refreshed by the poll reads new ones too.
    services.thread_mark_read(actor=request.user, thread=current)
    context = {
        "thread": current,
        "thread_messages": thread_messages,
        "members": selectors.thread_members(current),
        "form": form,
        "can_reply": current.replies_allowed or can(request.user, Cap.MESSAGE_BROADCAST),
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "messaging/thread.html#message-list", context)
    return render(request, "messaging/thread.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    form = PreferencesForm(
        request.POST or None, initial={"email_kinds": selectors.email_kinds(user=request.user)}
    )
    if request.method == "POST" and form.is_valid():
        services.preferences_set(actor=request.user, email_kinds=form.cleaned_data["email_kinds"])
        messages.success(request, _("Notification settings saved."))
        return redirect("messaging:notifications")
    page = Paginator(selectors.notification_list(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "notifications": page.object_list, "form": form}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "messaging/notifications.html#notification-list", context)
    return render(request, "messaging/notifications.html", context)


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_read(actor=request.user)
    return redirect("messaging:notifications")

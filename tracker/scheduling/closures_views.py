from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from tracker.accounts.permissions import Cap, require
from tracker.core.forms import add_service_errors
from tracker.org.models import Branch
from tracker.scheduling import closures


class ClosureForm(forms.Form):
    start_date = forms.DateField(
        label=gettext_lazy("First day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end_date = forms.DateField(
        label=gettext_lazy("Last day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)
    branch = forms.ModelChoiceField(
        label=gettext_lazy("Branch"),
        queryset=Branch.objects.filter(is_active=True),
        required=False,
        empty_label=gettext_lazy("Every branch"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def closure_index(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.SETTINGS_MANAGE)
    form = ClosureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            closures.closure_add(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Closure added; series skip those days from now on."))
            return redirect("closures:index")
    since = timezone.localdate().replace(day=1)
    context = {"form": form, "closures": closures.closure_list(user=request.user, since=since)}
    return render(request, "scheduling/closures.html", context)


@login_required
@require_POST
def closure_remove(request: HttpRequest, closure_id: int) -> HttpResponse:
    closures.closure_remove(actor=request.user, closure_id=closure_id)
    messages.success(request, _("Closure removed."))
    return redirect("closures:index")

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tracker.accounts.models import Role, User
from tracker.messaging.models import NotificationKind
from tracker.messaging.services import MAX_BODY
from tracker.org.models import Branch


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Reply"), max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 3})
    )


class ConversationForm(forms.Form):
    recipients = forms.ModelMultipleChoiceField(
        label=_("To"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("One or more people; or choose a branch to write to all its tutors."),
    )
    branch = forms.ModelChoiceField(
        label=_("Or every tutor of a branch"),
        queryset=Branch.objects.filter(is_active=True),
        required=False,
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Message"), max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(self, *args, actor: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recipients"].queryset = (
            User.objects.filter(is_active=True)
            .exclude(pk=actor.pk)
            .order_by("first_name", "last_name")
        )
        self.fields["recipients"].label_from_instance = lambda u: (
            f"{u.get_full_name() or u.username} ({u.get_role_display()})"
        )

    def clean(self):
        data = super().clean()
        if not data.get("recipients") and not data.get("branch"):
            self.add_error("recipients", _("Choose who to write to."))
        if data.get("recipients") and data.get("branch"):
            self.add_error("branch", _("Choose people or a branch, not both."))
        return data


class BroadcastForm(forms.Form):
    audience = forms.ChoiceField(
        label=_("Send to"),
        choices=[
            ("everyone", _("Everyone")),
            ("role", _("Everyone with a role")),
            ("branch", _("Everyone at a branch")),
        ],
    )
    role = forms.ChoiceField(label=_("Role"), choices=[("", "—"), *Role.choices], required=False)
    branch = forms.ModelChoiceField(
        label=_("Branch"), queryset=Branch.objects.filter(is_active=True), required=False
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Announcement"), max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 5})
    )


class PreferencesForm(forms.Form):
    email_kinds = forms.MultipleChoiceField(
        label=_("Also send these by e-mail"),
        choices=NotificationKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Everything always appears here and under the bell."),
    )

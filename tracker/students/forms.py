from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tracker.accounts.models import Role, User
from tracker.accounts.permissions import Cap, can
from tracker.org.models import Branch, School, Subject
from tracker.students.models import StudentStatus
from tracker.students.selectors import SORTS


def _tutor_label(user: User) -> str:
    return user.get_full_name() or user.username


class TutorChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return _tutor_label(obj)


class StudentForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    grade = forms.CharField(label=_("Class / grade"), max_length=50, required=False)
    school = forms.ModelChoiceField(
        label=_("School"), queryset=School.objects.none(), required=False
    )
    branch = forms.ModelChoiceField(
        label=_("Branch"), queryset=Branch.objects.none(), required=False
    )
    subjects = forms.ModelMultipleChoiceField(
        label=_("Subjects"),
        queryset=Subject.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    tutors = TutorChoiceField(
        label=_("Assigned tutors"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    address = forms.CharField(
        label=_("Address"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    guardian_name = forms.CharField(label=_("Guardian's name"), max_length=200, required=False)
    guardian_phone = forms.CharField(label=_("Guardian's phone"), max_length=40, required=False)
    guardian_email = forms.EmailField(label=_("Guardian's e-mail"), required=False)
    consent_given = forms.BooleanField(label=_("Guardian consent given"), required=False)
    consent_date = forms.DateField(
        label=_("Consent date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Today when left empty."),
    )
    consent_given_by = forms.CharField(label=_("Consent given by"), max_length=200, required=False)
    notes = forms.CharField(
        label=_("Notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    default_rate = forms.DecimalField(
        label=_("Default hourly rate"), required=False, min_value=0, max_digits=10, decimal_places=2
    )

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = School.objects.filter(is_active=True)
        self.fields["branch"].queryset = Branch.objects.filter(is_active=True)
        self.fields["subjects"].queryset = Subject.objects.filter(is_active=True)
        self.fields["tutors"].queryset = User.objects.filter(
            role=Role.TUTOR, is_active=True
        ).order_by("first_name", "last_name")
        if not can(actor, Cap.STUDENT_VIEW_MONEY):
            del self.fields["default_rate"]

    def service_fields(self) -> dict[str, object]:
        data = dict(self.cleaned_data)
        data["subjects"] = list(data["subjects"])
        data["tutors"] = list(data["tutors"])
        return data


class StudentFilterForm(forms.Form):
    search = forms.CharField(
        label=_("Search by name"),
        required=False,
        max_length=100,
        help_text=_("Type at least three letters."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    school = forms.ModelChoiceField(
        label=_("School"), queryset=School.objects.none(), required=False, empty_label=_("Any")
    )
    branch = forms.ModelChoiceField(
        label=_("Branch"), queryset=Branch.objects.none(), required=False, empty_label=_("Any")
    )
    grade = forms.CharField(label=_("Class / grade"), required=False, max_length=50)
    tutor = forms.ModelChoiceField(
        label=_("Tutor"), queryset=User.objects.none(), required=False, empty_label=_("Any")
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=())
    sort = forms.ChoiceField(required=False, choices=[(key, key) for key in SORTS])

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = School.objects.all()
        self.fields["branch"].queryset = Branch.objects.all()
        self.fields["sort"].widget = forms.HiddenInput()
        statuses = [(StudentStatus.ACTIVE, _("Active")), (StudentStatus.PAUSED, _("Paused"))]
        if can(actor, Cap.STUDENT_VIEW_ALL):
            self.fields["tutor"].queryset = User.objects.filter(role=Role.TUTOR).order_by(
                "first_name", "last_name"
            )
            self.fields["tutor"].label_from_instance = _tutor_label
            statuses.append((StudentStatus.ARCHIVED, _("Archived")))
        else:
            del self.fields["tutor"]
        self.fields["status"].choices = [("", _("Active and paused")), *statuses]

    def filters(self) -> dict[str, object]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        search = (data.get("search") or "").strip()
        return {
            # Fewer than three letters would match half the school: wait for more.
            "search": search if len(search) >= 3 else None,
            "school": data["school"].pk if data.get("school") else None,
            "branch": data["branch"].pk if data.get("branch") else None,
            "grade": data.get("grade") or None,
            "tutor": data["tutor"].pk if data.get("tutor") else None,
            "status": data.get("status") or None,
            "sort": data.get("sort") or "name",
        }

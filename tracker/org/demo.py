"""Demo lookups: the branches, schools and subjects a small South African tutoring business has."""

from __future__ import annotations

from tracker.org.models import Branch, School, Subject

BRANCHES = [("Rosebank", "12 Tyrwhitt Ave, Rosebank"), ("Sandton", "5 Rivonia Rd, Sandton")]
SCHOOLS = ["Parktown High", "Rosebank Primary", "Sandton Academy", "Greenside High"]
SUBJECTS = ["Mathematics", "Physical Sciences", "English", "Afrikaans", "Accounting", "Piano"]


def seed() -> dict[str, list]:
    branches = [
        Branch.objects.get_or_create(name=name, defaults={"address": address})[0]
        for name, address in BRANCHES
    ]
    schools = [School.objects.get_or_create(name=name)[0] for name in SCHOOLS]
    subjects = [Subject.objects.get_or_create(name=name)[0] for name in SUBJECTS]
    return {"branches": branches, "schools": schools, "subjects": subjects}

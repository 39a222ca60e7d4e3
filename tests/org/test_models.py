from __future__ import annotations

import pytest
from django.db import IntegrityError

from tracker.org.models import Branch, Subject


@pytest.mark.django_db
def test_lookup_names_are_unique_whatever_their_case():
    Subject.objects.create(name="Mathematics")
    with pytest.raises(IntegrityError):
        Subject.objects.create(name="MATHEMATICS")


@pytest.mark.django_db
def test_lookups_read_as_their_name():
    assert str(Branch.objects.create(name="Rosebank")) == "Rosebank"

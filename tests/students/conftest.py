from __future__ import annotations

from decimal import Decimal

import factory
import pytest
from factory.django import DjangoModelFactory

from tests.factories import BranchFactory, SchoolFactory
from tracker.students.models import Student


class StudentFactory(DjangoModelFactory):
    class Meta:
        model = Student
        skip_postgeneration_save = True

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    grade = "Grade 10"
    school = factory.SubFactory(SchoolFactory)
    branch = factory.SubFactory(BranchFactory)
    phone = "+27 82 123 4567"
    email = factory.LazyAttribute(lambda s: f"{s.first_name.lower()}@example.com")
    guardian_name = "Grace Guardian"
    default_rate = Decimal("350.00")

    @factory.post_generation
    def tutors(self, create, extracted, **kwargs):
        if create and extracted:
            self.tutors.set(extracted)


@pytest.fixture
def assigned(tutor):
    return StudentFactory(first_name="Amahle", last_name="Assigned", tutors=[tutor])


@pytest.fixture
def unassigned(other_tutor):
    return StudentFactory(first_name="Olwethu", last_name="Other", tutors=[other_tutor])

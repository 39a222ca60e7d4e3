"""The small lookup tables a tutoring business is organised by: branches, schools, subjects."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class LookupBase(models.Model):
    name = models.CharField(_("name"), max_length=120)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Branch(LookupBase):
    address = models.CharField(_("address"), max_length=255, blank=True)

    class Meta(LookupBase.Meta):
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        constraints = [models.UniqueConstraint(Lower("name"), name="org_branch_name_unique_ci")]


class School(LookupBase):
    class Meta(LookupBase.Meta):
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        constraints = [models.UniqueConstraint(Lower("name"), name="org_school_name_unique_ci")]


class Subject(LookupBase):
    class Meta(LookupBase.Meta):
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        constraints = [models.UniqueConstraint(Lower("name"), name="org_subject_name_unique_ci")]

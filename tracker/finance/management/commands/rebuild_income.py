from django.core.management.base import BaseCommand
from django.db import transaction

from tracker.finance.pricing import rebuild_income_days


class Command(BaseCommand):
    help = (
        "Recount the daily income totals the dashboards read from the charges: after a "
        "bulk load that wrote charges directly, or to repair them."
    )

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            days = rebuild_income_days()
        self.stdout.write(f"Recounted the income of {days} days.")

from __future__ import annotations

from django.urls import include, path, re_path

from config.api import api
from tracker.core import views as core_views
from tracker.core.metrics import metrics_view

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("accounts/", include("tracker.accounts.urls")),
    path("audit/", include("tracker.audit.urls")),
    path("students/import/", include(("tracker.students.import_urls", "students-import"))),
    path("students/", include("tracker.students.urls")),
    path("availability/", include(("tracker.students.availability_urls", "availability"))),
    path("calendar/", include(("tracker.scheduling.calendar_urls", "calendar"))),
    path("attendance/", include("tracker.attendance.urls")),
    path("settings/closures/", include(("tracker.scheduling.closures_urls", "closures"))),
    path("calendar/", include(("tracker.scheduling.ics_urls", "ics"))),
    path("settings/", include("tracker.org.urls")),
    path("finance/", include("tracker.finance.urls")),
    path("messages/", include("tracker.messaging.urls")),
    path("dashboard/", include("tracker.reports.dashboard_urls")),
    path("reports/", include("tracker.reports.urls")),
    path("exports/", include("tracker.reports.export_urls")),
    path("search/", include("tracker.search.urls")),
    path("api/v1/", api.urls),
    # Anything else under the API answers a problem+json 404, not the HTML 404 page.
    re_path(r"^api/", core_views.api_not_found),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("tracker.core.pwa_urls")),
]

from django.urls import path

from tracker.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:name>/", views.report, name="report"),
    path("<slug:name>/export.<str:fmt>", views.export, name="export"),
]

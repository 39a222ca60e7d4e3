from django.urls import path

from tracker.reports import views

app_name = "dashboard"
urlpatterns = [path("", views.dashboard, name="index")]

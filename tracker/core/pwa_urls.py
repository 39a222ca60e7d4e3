"""The service worker and the offline page, at the site's root (config/urls.py includes
these without a prefix: the worker's address decides which pages it may control)."""

from __future__ import annotations

from django.urls import path

from tracker.core import pwa

urlpatterns = [
    path("sw.js", pwa.service_worker, name="pwa-sw"),
    path("offline/", pwa.offline, name="pwa-offline"),
]

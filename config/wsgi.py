import os

from django.core.wsgi import get_wsgi_application

from tracker.core import tracing

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Before the application loads: Django's instrumentation adds its middleware to the
# settings. Off unless the OTEL_* variables ask for it (tracker/core/tracing.py).
tracing.start()
application = get_wsgi_application()

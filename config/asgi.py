import os

from django.core.asgi import get_asgi_application

from tracker.core import tracing

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Before the application loads, as in config/wsgi.py.
tracing.start()
application = get_asgi_application()

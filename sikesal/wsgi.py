import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sikesal.settings")
application = get_wsgi_application()

# Each web process does its first-request work now, before it accepts a connection (core/warmup.py).
from sikesal.core import warmup  # noqa: E402 - needs the application's settings and apps loaded

warmup.warm()

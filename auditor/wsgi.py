import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auditor.settings")
application = get_wsgi_application()

# Load the URLconf (and with it the admin's modules) now, as each web worker starts, rather than
# during its first request.
get_resolver().url_patterns  # noqa: B018

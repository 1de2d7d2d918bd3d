from django.contrib import admin
from django.urls import include, path

from auditor.metrics import metrics
from trail.registry import use_trail_as_admin_history

# The apps' admin modules, imported here rather than at start-up (SimpleAdminConfig in
# settings): only a process that serves URLs needs them. Then the tracked models' "History"
# views read the audit trail, which needs their admins registered.
admin.autodiscover()
use_trail_as_admin_history()

admin.site.site_header = "auditor"
admin.site.site_url = "/maturity/"  # the admin's "View site" opens the portfolio
admin.site.site_title = "auditor admin"
admin.site.index_title = "Projects, audits, findings and checklists"
admin.site.login_template = "sso/login.html"  # the admin login, with "Sign in with …" when SSO is on

urlpatterns = [
    path("", include("ops.urls")),
    path("metrics", metrics, name="metrics"),
    path("", include("dashboard.landing_urls")),  # the login page and the landing by role
    path("", include("sso.urls")),  # OIDC sign-in; before the admin: its logout ends SSO too
    path("admin/", admin.site.urls),
    path("", include("findings.urls")),
    path("", include("integrations.urls")),  # the CI upload (with its gate), webhooks, badges
    path("api/v1/", include("api.urls")),
    path("", include("rescans.urls")),
    path("", include("dashboard.urls")),
    path("", include("checklists.urls")),
]

# A fast 503 when the database is down, a plain 500 page otherwise (never needs the database).
handler500 = "auditor.errors.server_error"

# The CI upload (POST /api/projects/<slug>/scans/, "findings-scan-upload") is served by
# integrations.urls: its answer carries the CI gate. The import itself is findings.api.
urlpatterns: list = []

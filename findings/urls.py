from django.urls import path

from findings import api

urlpatterns = [
    path("api/projects/<slug:slug>/scans/", api.scan_upload, name="findings-scan-upload"),
]

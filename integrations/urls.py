from django.urls import path

from integrations import api, views

urlpatterns = [
    path("api/projects/<slug:slug>/scans/", api.scan_upload, name="findings-scan-upload"),
    path("badges/<slug:slug>/<str:key>/score.svg", views.badge, {"kind": "score"}, name="integrations-badge"),
    path(
        "badges/<slug:slug>/<str:key>/gate.svg", views.badge, {"kind": "gate"}, name="integrations-badge-gate"
    ),
    path("projects/<slug:slug>/badges/", views.badge_page, name="integrations-badge-page"),
    path("projects/<slug:slug>/badges/rotate/", views.badge_rotate, name="integrations-badge-rotate"),
]

from django.urls import path

from rescans.views import project_rescan_now

urlpatterns = [
    path("projects/<slug:slug>/rescan/", project_rescan_now, name="project-rescan"),
]

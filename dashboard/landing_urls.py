from django.urls import path

from dashboard import landing

urlpatterns = [
    path("admin/login/", landing.login, name="login"),
    path("", landing.landing, name="landing"),
]

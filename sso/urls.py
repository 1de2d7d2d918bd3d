from django.urls import path

from sso import views

urlpatterns = [
    # Before the admin's own URLs: the admin's "Log out" ends the provider's session too.
    path("admin/logout/", views.logout, name="sso_logout"),
    path("oidc/authenticate/", views.start, name="oidc_authentication_init"),
    path("oidc/callback/", views.callback, name="oidc_authentication_callback"),
]

from django.contrib import admin

from sso.models import OidcIdentity


@admin.register(OidcIdentity)
class OidcIdentityAdmin(admin.ModelAdmin):
    """Which provider account logs in as which user (admins only). Deleting a row unlinks it: the
    next sign-in of that account links or creates a user again (docs/sso.md)."""

    list_display = ("user", "issuer", "subject", "last_login_at", "created_at")
    list_select_related = ("user",)
    list_filter = ("issuer",)
    search_fields = ("user__username", "user__email", "subject")
    readonly_fields = ("user", "issuer", "subject", "claimed_project_ids", "created_at", "last_login_at")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

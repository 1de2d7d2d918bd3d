"""The audit trail in the admin: read-only, filterable by user, date, action and kind of object."""

# Imported first: `trail` is listed before `auditlog` in INSTALLED_APPS (so its templates win),
# so auditlog's own registration must have happened before it is replaced here.
from auditlog.admin import LogEntryAdmin as BaseLogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin


class ActorFilter(admin.RelatedOnlyFieldListFilter):
    """Users who appear in the trail (not every account)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = "user"


if admin.site.is_registered(LogEntry):
    admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class TrailEntryAdmin(BaseLogEntryAdmin):
    """No add, change or delete, for anyone (admins included): the trail is evidence."""

    list_filter = [
        "action",
        ("actor", ActorFilter),
        ("timestamp", admin.DateFieldListFilter),
        *[f for f in BaseLogEntryAdmin.list_filter if f != "action"],
    ]
    show_full_result_count = False
    list_per_page = 50
    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

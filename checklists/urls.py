from django.urls import path

from checklists import evidence_views, queue_views, reaudit_views

app_name = "checklists"

urlpatterns = [
    path("checklists/evidence/<int:pk>/", evidence_views.evidence_download, name="evidence-download"),
    path("my/items/", queue_views.queue, name="queue"),
    path("my/items/bulk/", queue_views.bulk_answer, name="bulk-answer"),
    path("my/items/<int:pk>/", queue_views.item_detail, name="item"),
    path("my/items/<int:pk>/answer/", queue_views.item_answer, name="item-answer"),
    path("my/items/<int:pk>/confirm/", queue_views.item_confirm, name="item-confirm"),
    path("projects/<slug:slug>/next-audit/", reaudit_views.start_next_audit, name="start-next-audit"),
    path("checklists/<int:pk>/changes/", reaudit_views.checklist_diff, name="diff"),
]

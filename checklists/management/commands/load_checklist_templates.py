from django.core.management.base import BaseCommand
from django.db import transaction

from checklists.library import install_library
from checklists.models import ChecklistTemplate, ChecklistTemplateItem
from projects.models import MaturityDomain


class Command(BaseCommand):
    help = (
        "Load the checklist templates shipped with auditor: creates missing ones and "
        "refreshes those whose library version was raised. Started checklists never change."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            outcome = install_library(
                template_model=ChecklistTemplate,
                item_model=ChecklistTemplateItem,
                domain_model=MaturityDomain,
            )
        for slug, what in outcome.items():
            self.stdout.write(f"{slug}: {what}")

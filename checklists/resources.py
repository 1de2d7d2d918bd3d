"""CSV/XLSX import and export of checklist templates and their items (django-import-export).

Rows refer to templates and domains by slug, so a file is readable and portable between
installations. An invalid row (unknown slug, empty text, bad flag) is reported with its row
number and reason, and then nothing from the file is imported: the admin only offers to confirm
an import whose dry run had no error, and the import runs in one transaction.

Exports escape spreadsheet formulas like every export (projects.spreadsheets); a template may
hold at most CHECKLIST_MAX_ITEMS items, and an import that would pass it is refused by row.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets

from checklists import services
from checklists.models import ChecklistTemplate, ChecklistTemplateItem
from projects.models import MaturityDomain
from projects.spreadsheets import cell_id, clean_cell, escape_cell, unescape_formula

# PositiveIntegerField in PostgreSQL.
MAX_ORDER = 2**31 - 1


class SlugWidget(widgets.ForeignKeyWidget):
    """A foreign key given by slug; an unknown slug is a clear row error, not a traceback."""

    def __init__(self, model, label: str):
        super().__init__(model, field="slug")
        self.label = label

    def clean(self, value, row=None, **kwargs):
        value = (value or "").strip() if isinstance(value, str) else value
        if not value:
            return None
        try:
            return super().clean(value, row, **kwargs)
        except self.model.DoesNotExist as exc:
            raise ValueError(f"No {self.label} with slug {value!r}.") from exc


class StrictBooleanWidget(widgets.BooleanWidget):
    """Booleans as 1/0, yes/no, true/false; anything else is an error rather than False."""

    TRUE = {"1", "true", "yes", "y", "x"}
    FALSE = {"", "0", "false", "no", "n"}

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            if value in (0, 1):
                return bool(value)
        text = str(value if value is not None else "").strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValueError(f"{value!r} is not a yes/no value (use 1 or 0).")


class StrictIntegerWidget(widgets.IntegerWidget):
    """A whole number in 0..MAX_ORDER; "inf", "nan", 1e400 or a thousand digits are a row error
    (the library's widget lets OverflowError through as a traceback)."""

    def clean(self, value, row=None, **kwargs):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            number = super().clean(value, row, **kwargs)
        except (ValueError, ArithmeticError, TypeError):
            raise ValueError(f"{str(value)[:40]!r} is not a whole number.") from None
        if number is not None and not 0 <= number <= MAX_ORDER:
            raise ValueError(
                f"{number if abs(number) < 10**12 else 'The number'} is out of range 0..{MAX_ORDER}."
            )
        return number


class _AllOrNothing:
    """A file is imported whole or not at all: one invalid row rolls every row back, in the
    admin's confirm step and when called from code alike. After a real import, the version of
    every template the file changed is raised."""

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=True,
        **kwargs,
    ):
        return super().import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=raise_errors,
            use_transactions=True,
            collect_failed_rows=collect_failed_rows,
            rollback_on_validation_errors=True,
            **kwargs,
        )

    def before_import(self, dataset, **kwargs):
        self._touched_templates: set[int] = set()
        return super().before_import(dataset, **kwargs)

    def before_import_row(self, row, **kwargs):
        for key in list(row.keys()):
            row[key] = clean_cell(unescape_formula(row[key]))
        if "id" in row and row["id"] not in (None, ""):
            pk = cell_id(row["id"])
            if pk is None:
                raise ValidationError(f"The id {str(row['id'])[:40]!r} is not a whole number.")
            row["id"] = pk
        return super().before_import_row(row, **kwargs)

    def export_field(self, field, instance, **kwargs):
        return escape_cell(super().export_field(field, instance, **kwargs))

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if (
            not kwargs.get("dry_run")
            and not result.has_errors()
            and not result.has_validation_errors()
            and self._touched_templates
        ):
            services.template_bump_version(template_ids=self._touched_templates)


class ChecklistTemplateResource(_AllOrNothing, resources.ModelResource):
    is_active = fields.Field(attribute="is_active", column_name="is_active", widget=StrictBooleanWidget())
    name = fields.Field(attribute="name", column_name="name", widget=widgets.CharWidget())
    description = fields.Field(
        attribute="description", column_name="description", widget=widgets.CharWidget()
    )
    # The version is the system's: exported for information, never taken from a file.
    version = fields.Field(
        attribute="version", column_name="version", readonly=True, widget=widgets.IntegerWidget()
    )

    class Meta:
        model = ChecklistTemplate
        fields = ("slug", "name", "description", "is_active", "version")
        export_order = ("slug", "name", "description", "is_active", "version")
        import_id_fields = ("slug",)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def after_import_row(self, row, row_result, **kwargs):
        super().after_import_row(row, row_result, **kwargs)
        if row_result.import_type == row_result.IMPORT_TYPE_UPDATE and row_result.object_id:
            self._touched_templates.add(row_result.object_id)


class ChecklistTemplateItemResource(_AllOrNothing, resources.ModelResource):
    template = fields.Field(
        attribute="template",
        column_name="template",
        widget=SlugWidget(ChecklistTemplate, "checklist template"),
    )
    domain = fields.Field(
        attribute="domain", column_name="domain", widget=SlugWidget(MaturityDomain, "maturity domain")
    )
    is_critical = fields.Field(
        attribute="is_critical", column_name="is_critical", widget=StrictBooleanWidget()
    )
    order = fields.Field(attribute="order", column_name="order", widget=StrictIntegerWidget())
    # Empty spreadsheet cells arrive as None: text columns store "" instead.
    section = fields.Field(attribute="section", column_name="section", widget=widgets.CharWidget())
    text = fields.Field(attribute="text", column_name="text", widget=widgets.CharWidget())
    guidance = fields.Field(attribute="guidance", column_name="guidance", widget=widgets.CharWidget())

    class Meta:
        model = ChecklistTemplateItem
        fields = ("id", "template", "order", "section", "text", "guidance", "is_critical", "domain")
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def get_queryset(self):
        return super().get_queryset().select_related("template", "domain")

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        # Items each template has, plus those this file adds, checked row by row.
        self._item_counts: dict[int, int] = {}

    def before_save_instance(self, instance, row, **kwargs):
        super().before_save_instance(instance, row, **kwargs)
        if instance.pk is not None or instance.template_id is None:
            return  # an existing item: moving items between templates is rare, counted by new rows
        counts = self._item_counts
        if instance.template_id not in counts:
            counts[instance.template_id] = ChecklistTemplateItem.objects.filter(
                template_id=instance.template_id
            ).count()
        counts[instance.template_id] += 1
        limit = settings.CHECKLIST_MAX_ITEMS
        if counts[instance.template_id] > limit:
            raise ValidationError(
                f"Template {instance.template.slug!r} would have more than {limit:,} items "
                "(CHECKLIST_MAX_ITEMS)."
            )

    def after_import_row(self, row, row_result, **kwargs):
        super().after_import_row(row, row_result, **kwargs)
        if row_result.import_type in (row_result.IMPORT_TYPE_NEW, row_result.IMPORT_TYPE_UPDATE):
            instance = getattr(row_result, "instance", None)
            if instance is not None and instance.template_id:
                self._touched_templates.add(instance.template_id)

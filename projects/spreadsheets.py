"""Spreadsheet cells and files, for every CSV/XLSX export and import (django-import-export).

Export: a text cell a spreadsheet would run as a formula (starting with =, +, -, @, tab or
carriage return) gets a leading apostrophe, and characters XLSX cannot hold (control
characters, lone surrogates) become U+FFFD. Import: files over IMPORT_MAX_ROWS rows, or XLSX
archives that unpack to more than IMPORT_MAX_UNCOMPRESSED_BYTES, are refused with a clear
message before a row is read; text cells lose what the database cannot store.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import tablib
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from import_export.formats.base_formats import CSV, JSON, XLSX
from import_export.tmp_storages import BaseStorage

from projects import staging
from projects.params import parse_id

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What openpyxl refuses in a cell (its ILLEGAL_CHARACTERS_RE) plus lone surrogates.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
# What the database refuses (PostgreSQL text cannot hold NUL) or cannot encode.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# An XLSX workbook is a few dozen parts; thousands of archive members is not a spreadsheet.
MAX_ARCHIVE_MEMBERS = 1000


class ImportLimitError(ValueError):
    """A file refused as a whole: the message says why and which setting sets the limit."""


def escape_cell(value: Any) -> Any:
    """A cell value safe to open in a spreadsheet: never a live formula, always writable."""
    if isinstance(value, str):
        if _UNWRITABLE.search(value):
            value = _UNWRITABLE.sub("\ufffd", value)
        if value.startswith(FORMULA_STARTS):
            return "'" + value
    return value


def unescape_formula(value: Any) -> Any:
    """The reverse of escape_cell's apostrophe, so an exported sheet imports unchanged."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def clean_cell(value: Any) -> Any:
    """An imported cell the database can store: no NUL, no lone surrogate."""
    if isinstance(value, str) and _UNSTORABLE.search(value):
        return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", value)
    return value


def cell_id(value: Any) -> int | None:
    """The id a cell holds (ASCII digits, or a whole number stored as a float), else None."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # spreadsheets store numbers as floats
    return parse_id(value.strip() if isinstance(value, str) else value)


def _max_rows() -> int:
    return settings.IMPORT_MAX_ROWS


def _max_bytes() -> int:
    return settings.IMPORT_MAX_UNCOMPRESSED_BYTES


def _check_size(size: int, what: str = "the file is") -> None:
    if size > _max_bytes():
        raise ImportLimitError(
            f"{what} {size:,} bytes, over the {_max_bytes():,}-byte limit "
            "(IMPORT_MAX_UNCOMPRESSED_BYTES); split it into smaller files"
        )


def _too_many_rows() -> ImportLimitError:
    return ImportLimitError(
        f"the file has more than {_max_rows():,} rows, the limit of one import (IMPORT_MAX_ROWS); "
        "split it into smaller files"
    )


def _check_rows(dataset: tablib.Dataset) -> tablib.Dataset:
    if len(dataset) > _max_rows():
        raise _too_many_rows()
    return dataset


def check_xlsx_archive(data: bytes) -> None:
    """Refuse a zip bomb from the sizes its archive declares, before anything is unpacked.
    Python's zipfile never inflates a member beyond its declared size (the CRC check fails)."""
    _check_size(len(data))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise ImportLimitError("this is not an XLSX file (not a zip archive)") from None
    members = archive.infolist()
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise ImportLimitError(
            f"the XLSX archive has {len(members):,} parts (at most {MAX_ARCHIVE_MEMBERS:,}): "
            "not a spreadsheet"
        )
    _check_size(sum(member.file_size for member in members), "the XLSX file unpacks to")


class LimitedCSV(CSV):
    def create_dataset(self, in_stream, **kwargs):
        _check_size(len(in_stream))
        return _check_rows(super().create_dataset(in_stream, **kwargs))


class LimitedJSON(JSON):
    def create_dataset(self, in_stream, **kwargs):
        _check_size(len(in_stream))
        return _check_rows(super().create_dataset(in_stream, **kwargs))


class LimitedXLSX(XLSX):
    def create_dataset(self, in_stream):
        """The first sheet, read row by row and stopped at the row limit."""
        import openpyxl

        check_xlsx_archive(in_stream)
        book = openpyxl.load_workbook(io.BytesIO(in_stream), read_only=True, data_only=True)
        try:
            rows = book.active.iter_rows(values_only=True)
            dataset = tablib.Dataset()
            header = next(rows, None)
            if header is None:
                return dataset
            dataset.headers = list(header)
            width = len(header)
            for count, row in enumerate(rows, start=1):
                if count > _max_rows():
                    raise _too_many_rows()
                values = list(row)[:width]
                dataset.append(values + [None] * (width - len(values)))
            return dataset
        finally:
            book.close()


IMPORT_FORMATS = [LimitedCSV, LimitedXLSX, LimitedJSON]


class StagedFileStorage(BaseStorage):
    """django-import-export's file between its preview and "Confirm import", kept by the shared
    staging helper (projects.staging): the confirm form's `import_file_name` is a signed token
    naming the file, its hash and the kind of import, never a path."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.kind = kwargs["kind"]

    def save(self, data):
        content = data.encode(self.encoding or "utf-8") if isinstance(data, str) else data
        self.name = staging.sign(key=staging.park(content), kind=self.kind, content=content)

    def read(self):
        content = staging.read_signed(self.name, kind=self.kind)
        return content if "b" in self.read_mode else content.decode(self.encoding or "utf-8-sig")

    def remove(self):
        staging.discard(staging.unsign(self.name, kind=self.kind)["key"])


class SpreadsheetLimitsAdminMixin:
    """django-import-export admins: limited formats, a limit's own message on the form (the
    library's message names only the exception's class), and the file between preview and
    confirmation in the shared staging, confirmable once and only by the session that
    previewed it."""

    formats = IMPORT_FORMATS
    tmp_storage_class = StagedFileStorage

    def staging_kind(self) -> str:
        return f"spreadsheet:{self.model._meta.label_lower}"

    def get_tmp_storage_class_kwargs(self):
        return {**super().get_tmp_storage_class_kwargs(), "kind": self.staging_kind()}

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if initial.get("import_file_name"):
            staging.remember(request, initial["import_file_name"], kind=self.staging_kind())
        return initial

    def process_import(self, request, **kwargs):
        if request.method != "POST" or not self.has_import_permission(request):
            return super().process_import(request, **kwargs)  # the library's 405 / 403
        token = request.POST.get("import_file_name", "")
        if token:
            if not staging.owns(request, token, kind=self.staging_kind()):
                try:
                    staging.unsign(token, kind=self.staging_kind())
                    message = staging.GONE
                except staging.StagingError as exc:
                    message = str(exc)
                return self._back_to_import(request, message)
            staging.forget(request, token, kind=self.staging_kind())
        try:
            return super().process_import(request, **kwargs)
        except staging.StagingError as exc:  # the file expired between preview and confirmation
            return self._back_to_import(request, str(exc))

    def _back_to_import(self, request, message: str):
        messages.error(request, message)
        opts = self.model._meta
        return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_import"))

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, ImportLimitError):
            form.add_error("import_file", str(e))
            return
        super().add_data_read_fail_error_to_form(form, e)

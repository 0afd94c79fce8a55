"""API schemas of the manager list item, document search and import (masked data only); the
list's query parameters come from ``lists.VolunteerFilter``."""

import datetime as dt

from ninja import Schema
from pydantic import Field

from zhiyuan.core.api import InSchema


class VolunteerListItemOut(Schema):
    id: int
    volunteer_no: str
    name: str
    id_type: str
    id_number_masked: str
    mobile_masked: str
    gender: str
    birth_date: dt.date | None
    age: int | None
    region_code: str
    region_name: str
    status: str
    status_label: str
    registered_at: dt.datetime


class VolunteerSearchOut(Schema):
    """The answer of the exact document search: the list's item shape; no further page."""

    items: list[VolunteerListItemOut]
    next_cursor: str | None = None


class DocumentSearchIn(InSchema):
    id_number: str = Field(max_length=64)
    id_type: str = ""


class ImportRowErrorOut(Schema):
    row: int
    field: str
    field_label: str
    message: str


class ImportJobSummaryOut(Schema):
    """An import job (VOL-10) without its report rows."""

    id: int
    kind: str  # what the rows become: volunteers, training.record (import_kinds)
    target_id: int | None  # the kind's target, e.g. the course of a training-record import
    status: str  # queued, running, done, failed
    status_label: str
    mode: str  # dry_run, all_or_nothing, valid_only
    mode_label: str
    dry_run: bool
    phase: str  # checking, importing
    progress: int  # 0-100
    rows: int  # data rows (an upper bound until the check pass has read the whole file)
    rows_done: int  # rows checked so far
    valid_rows: int
    invalid_rows: int
    created: int
    errors_count: int
    ok: bool  # finished without any problem
    finished: bool
    file_name: str
    file_size: int
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    url: str  # the job's page
    report_url: str  # the report as .xlsx


class ImportJobOut(ImportJobSummaryOut):
    """An import job with its report: file-level problems, one page of row errors
    (``errors_page``/``errors_page_size`` of ``errors_count``), masked preview rows of a check
    (row, name, masked document, gender, birth year, region; cleared a day after it finished)."""

    file_errors: list[str]
    message: str  # why the job failed or stopped
    errors: list[ImportRowErrorOut]
    errors_page: int
    errors_page_size: int
    preview: list[dict]
    repeated: bool  # this submit repeated an earlier one and got its job back

"""API schemas of the manager list, document search and import (masked data only)."""

import datetime as dt

from ninja import Schema
from pydantic import Field

from zhiyuan.core.api import InSchema, IsoDate


class VolunteerFiltersIn(Schema):
    """Query parameters of ``GET /volunteers``. There is deliberately no document-number
    parameter: use ``POST /volunteers/search`` so the number never lands in a URL or log."""

    q: str = Field("", max_length=50)
    region: str = Field("", max_length=12)
    status: str = ""
    gender: str = ""
    age_min: int | None = Field(None, ge=0, le=120)
    age_max: int | None = Field(None, ge=0, le=120)
    political_status: str = ""
    skill: str = ""
    service_category: str = ""
    registered_from: IsoDate | None = None
    registered_to: IsoDate | None = None
    sort: str = "-registered_at"
    page: int = 1
    page_size: int = 20


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


class VolunteerPageOut(Schema):
    items: list[VolunteerListItemOut]
    count: int
    page: int
    page_size: int


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


class ImportJobPageOut(Schema):
    items: list[ImportJobSummaryOut]
    count: int
    page: int
    page_size: int

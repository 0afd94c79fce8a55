"""API schemas of the manager list, document search and import (masked data only)."""

import datetime as dt

from ninja import Schema
from pydantic import Field


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
    registered_from: dt.date | None = None
    registered_to: dt.date | None = None
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


class DocumentSearchIn(Schema):
    id_number: str = Field(max_length=64)
    id_type: str = ""


class ImportRowErrorOut(Schema):
    row: int
    field: str
    field_label: str
    message: str


class ImportReportOut(Schema):
    dry_run: bool
    mode: str
    rows: int
    valid_rows: int
    invalid_rows: int
    created: int
    ok: bool
    file_errors: list[str]
    errors: list[ImportRowErrorOut]
    preview: list[dict]

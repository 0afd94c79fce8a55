"""API schemas of the volunteers app. Document numbers appear only masked, except in
``RevealOut`` (a manager's audited reveal) and the person's own data export."""

import datetime as dt

from ninja import Schema
from pydantic import Field

from zhiyuan.core.api import InSchema


class RegisterIn(InSchema):
    name: str = Field(max_length=10_000)
    id_type: str = Field(max_length=10_000)
    id_number: str = Field(max_length=10_000)
    gender: str = ""
    birth_date: str = ""
    region_code: str = Field(max_length=10_000)
    mobile: str = Field(max_length=10_000)
    password: str = Field(max_length=10_000)
    email: str = ""
    accept_privacy: bool = False
    privacy_version: str = ""
    accept_oath: bool = False
    guardian_name: str = ""
    guardian_relation: str = ""
    guardian_mobile: str = ""
    guardian_consent: bool = False


class SkillIn(InSchema):
    code: str
    detail: str = ""


class ProfileIn(InSchema):
    """Partial update: only the fields sent are changed."""

    political_status: str | None = None
    education: str | None = None
    ethnicity: str | None = None
    email: str | None = None
    region_code: str | None = None
    home_lat: str | None = None
    home_lng: str | None = None
    accept_location: bool = False
    skills: list[SkillIn] | None = None
    service_categories: list[str] | None = None
    availability: list[str] | None = Field(default=None, description='slot keys "<day 1-7>-<am|pm|ev>", e.g. "6-am"')

    def as_data(self) -> dict:
        data = self.model_dump(exclude_unset=True)
        if "skills" in data and data["skills"] is not None:
            data["skills"] = [dict(s) for s in data["skills"]]
        for key in ("skills", "service_categories", "availability"):
            if key in data and data[key] is None:
                data[key] = []
        return data


class CodeLabel(Schema):
    code: str
    label: str


class SkillOut(Schema):
    code: str
    label: str
    detail: str


class StatusHistoryOut(Schema):
    """VOL-9: one status change, oldest first in the lists below."""

    from_status: str  # "" for the first entry (registration)
    from_status_label: str
    to_status: str
    to_status_label: str
    reason: str
    at: dt.datetime


class ManagerStatusHistoryOut(StatusHistoryOut):
    actor: str | None  # who changed it (name and masked mobile); null for the person's own or system changes


class VolunteerOut(Schema):
    """What a manager sees: masked document, no location, no mobile."""

    id: int
    volunteer_no: str
    name: str
    id_type: str
    id_number_masked: str
    gender: str
    birth_date: dt.date | None
    age: int | None
    is_minor: bool
    region_code: str
    region_name: str
    status: str
    status_label: str
    political_status: str
    education: str
    ethnicity: str
    skills: list[SkillOut]
    service_categories: list[CodeLabel]
    availability: list[str]
    registered_at: dt.datetime
    status_history: list[ManagerStatusHistoryOut]


class MyVolunteerOut(VolunteerOut):
    """The person's own view: their own contact data and location. The document number stays
    masked here too (API output is masked by default); the person's full number is in
    ``export_my_data``."""

    mobile: str
    email: str
    home_lat: str | None
    home_lng: str | None
    restricted: bool
    needs_privacy_consent: bool
    privacy_version: str | None
    status_history: list[StatusHistoryOut]  # the person's own view names no manager


class RevealIn(InSchema):
    reason: str = Field(default="", max_length=10_000)


class RevealOut(Schema):
    volunteer_no: str
    id_type: str
    id_number: str


class VolunteerStatusIn(InSchema):
    to_status: str
    reason: str = Field(max_length=10_000)


class VolunteerStatusChangeOut(Schema):
    from_status: str
    to_status: str
    reason: str
    at: dt.datetime


class ExitIn(InSchema):
    reason: str = Field(max_length=10_000)


class ConsentIn(InSchema):
    kind: str = "privacy"
    version: str = ""


class ConsentOut(Schema):
    kind: str
    version: str
    accepted_at: dt.datetime
    withdrawn_at: dt.datetime | None


class WithdrawOut(Schema):
    restricted: bool
    restricted_at: dt.datetime | None


class CorrectionIn(InSchema):
    field: str
    name: str = ""
    id_type: str = ""
    id_number: str = ""
    gender: str = ""
    birth_date: str = ""
    reason: str = Field(max_length=10_000)


class CorrectionOut(Schema):
    id: int
    field: str
    requested: str
    reason: str
    status: str
    created_at: dt.datetime
    response: str


class CorrectionResolveIn(InSchema):
    approve: bool
    response: str = ""


class CardTokenOut(Schema):
    token: str
    expires_at: int
    ttl_seconds: int


class CardVerifyIn(InSchema):
    token: str = Field(max_length=2000)


class CardVerifyOut(Schema):
    valid: bool
    name: str
    volunteer_no: str
    status: str
    status_label: str
    star_level: int | None
    star_level_label: str
    expires_at: int


class PrivacyNoticeOut(Schema):
    version: str
    title: str
    body: str
    published_at: dt.datetime
    oath_text: str

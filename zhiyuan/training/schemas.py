"""Request and response shapes of /api/v1/training (django-ninja)."""

import datetime as dt
from typing import Annotated

from ninja import Schema
from pydantic import Field

from zhiyuan.core.api import InSchema, IsoDate, IsoDateTime

MAX_ID = 2**63 - 1  # a bigint primary key: anything larger is refused here, not by the database
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class OwnedIn(InSchema):
    """Whose it is: a region (its managers) or an organization (its admins; its region)."""

    region_code: str = Field("", max_length=12)
    organization_id: int | None = Field(None, ge=1, le=MAX_ID)


class CourseIn(OwnedIn):
    name: str = Field(max_length=100)
    category: str = Field(max_length=32)
    hours: float = Field(gt=0, le=999)
    level: str = Field("basic", max_length=12)
    syllabus: str = Field("", max_length=5000)
    materials: str = Field("", max_length=5000)
    validity_months: int | None = Field(None, ge=1, le=240)
    qualification_type_id: int | None = Field(None, ge=1, le=MAX_ID)
    online: bool = False
    pass_mark: int = Field(60, ge=0, le=100)
    questions_per_attempt: int = Field(10, ge=1, le=100)
    max_attempts: int = Field(3, ge=1, le=20)


class CourseOut(Schema):
    id: int
    name: str
    category: str
    level: str
    hours: float
    syllabus: str
    materials: str
    validity_months: int | None
    qualification_type_id: int | None
    online: bool
    pass_mark: int
    questions_per_attempt: int
    max_attempts: int
    region_code: str
    organization_id: int | None
    status: str


class CourseRow(Schema):
    id: int
    name: str
    category: str
    level: str
    hours: float
    online: bool
    status: str


class QuestionIn(InSchema):
    text: str = Field(max_length=500)
    kind: str = Field("single", max_length=10)
    options: list[str] = Field(min_length=2, max_length=8)
    answer: list[int] = Field(min_length=1, max_length=8)


class QuestionCreatedOut(Schema):
    id: int


class TrainerIn(OwnedIn):
    name: str = Field(max_length=50)
    certification_no: str = Field(max_length=40)
    certified_on: IsoDate
    expires_on: IsoDate
    specialty: str = Field("", max_length=100)


class CertifiedOut(Schema):
    id: int
    name: str
    certification_no: str
    certified_on: dt.date
    expires_on: dt.date
    certification_state: str  # valid, expiring (within the renewal days), expired, not_yet
    region_code: str
    organization_id: int | None


class TrainerOut(CertifiedOut):
    specialty: str


class CertifiedChangeIn(InSchema):
    """A partial change: the fields sent are changed, the others kept (the owner never changes)."""

    certification_no: str | None = Field(None, max_length=40)
    certified_on: IsoDate | None = None
    expires_on: IsoDate | None = None


class TrainerChangeIn(CertifiedChangeIn):
    name: str | None = Field(None, max_length=50)
    specialty: str | None = Field(None, max_length=100)


class TrainingBaseChangeIn(CertifiedChangeIn):
    name: str | None = Field(None, max_length=100)
    address: str | None = Field(None, max_length=200)


class TrainingBaseIn(OwnedIn):
    name: str = Field(max_length=100)
    address: str = Field(max_length=200)
    certification_no: str = Field(max_length=40)
    certified_on: IsoDate
    expires_on: IsoDate


class TrainingBaseOut(CertifiedOut):
    address: str


class SessionIn(InSchema):
    course_id: int = Field(ge=1, le=MAX_ID)
    starts_at: IsoDateTime
    ends_at: IsoDateTime
    capacity: int = Field(ge=1, le=10000)
    trainer_id: int | None = Field(None, ge=1, le=MAX_ID)
    base_id: int | None = Field(None, ge=1, le=MAX_ID)
    place: str = Field("", max_length=200)


class SessionOut(Schema):
    id: int
    course_id: int
    course_name: str
    trainer_id: int | None
    base_id: int | None
    place: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    enrolled_count: int
    region_code: str
    organization_id: int | None
    status: str


class SessionRow(Schema):
    id: int
    course_id: int
    course_name: str
    place: str
    starts_at: dt.datetime
    capacity: int
    enrolled_count: int
    status: str


class EnrollmentOut(Schema):
    id: int
    session_id: int
    volunteer_id: int
    status: str
    attendance: str
    score: int | None
    rating: int | None


class AttendanceIn(InSchema):
    enrollment_id: int = Field(ge=1, le=MAX_ID)
    present: bool
    score: int | None = Field(None, ge=0, le=100)


class EvaluationIn(InSchema):
    rating: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=500)


class RecordRow(Schema):
    id: int
    volunteer_id: int
    volunteer_no: str
    volunteer_name: str
    course_id: int
    course_name: str
    source: str
    completed_on: dt.date
    hours: float
    score: int | None


class CertificateOut(Schema):
    id: int
    certificate_no: str
    title: str
    issuer: str
    issued_on: dt.date
    expires_on: dt.date | None
    status: str
    course_id: int | None
    qualification_type_id: int | None


class QualificationTypeOut(Schema):
    id: int
    code: str
    name: str
    validity_months: int | None


class QualificationOut(Schema):
    id: int
    volunteer_id: int
    qualification_type_id: int
    qualification_type_name: str
    certificate_no: str
    issuer: str
    issued_on: dt.date
    expires_on: dt.date | None
    status: str
    reason: str
    submitted_at: dt.datetime


class QualificationRow(Schema):
    id: int
    volunteer_id: int
    volunteer_name: str
    qualification_type_name: str
    issuer: str
    issued_on: dt.date
    status: str


class QualificationReviewIn(InSchema):
    approve: bool
    reason: str = Field("", max_length=200)


class QuizQuestionOut(Schema):
    id: int
    text: str
    kind: str
    options: list[str]


class QuizAttemptOut(Schema):
    id: int
    course_id: int
    attempt_no: int
    questions: list[QuizQuestionOut]
    submitted: bool
    score: int | None
    passed: bool
    certificate_id: int | None = None


class QuizSubmitIn(InSchema):
    # question id → chosen option indexes. Only the questions drawn for this attempt count; a
    # score, "correct" flags or extra keys are never read (they are refused by the schema).
    answers: dict[str, list[int]] = Field(default_factory=dict, max_length=100)


class RequirementIn(InSchema):
    course_id: int | None = Field(None, ge=1, le=MAX_ID)
    qualification_type_id: int | None = Field(None, ge=1, le=MAX_ID)


class EligibilityIn(InSchema):
    volunteer_ids: list[Id] = Field(min_length=1, max_length=1000)
    requirements: list[RequirementIn] = Field(min_length=1, max_length=20)
    on: IsoDate


class EligibilityItemOut(Schema):
    volunteer_id: int
    ok: bool
    reasons: list[str]


class EligibilityOut(Schema):
    items: list[EligibilityItemOut]

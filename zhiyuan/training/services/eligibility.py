"""The training half of the eligibility answer (条例 art. 16 先培训再上岗; issue 9 item 5).

Layers above (activities at enrollment, emergency call-up) ask: has this person the training
and the qualifications this position needs, on this date? A requirement names a course (its
certificate, from a session, a quiz or an import) or a qualification type (an approved outside
certificate, or a course that earns that qualification). The answer is yes, or no with the
precise reasons in Chinese (「急救员证书已于2026-05-01过期」, 「未完成「防溺水救援」培训」).

Both forms read ``TrainingCertificate`` once — one query through the covering index
``training_cert_eligibility`` (an index-only scan), however many volunteers and requirements — and need no
query for the names (requirements carry them)."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _

from zhiyuan.core.arrays import one_of
from zhiyuan.training.models import CertificateStatus, QualificationType, TrainingCertificate, TrainingCourse


@dataclass(frozen=True)
class Requirement:
    course_id: int | None = None
    qualification_type_id: int | None = None
    name: str = ""

    @classmethod
    def of(cls, item) -> "Requirement":
        if isinstance(item, Requirement):
            return item
        if isinstance(item, TrainingCourse):
            return cls(course_id=item.pk, name=item.name)
        if isinstance(item, QualificationType):
            return cls(qualification_type_id=item.pk, name=item.name)
        raise TypeError(f"not a training requirement: {item!r}")

    def matches(self, course_id, qualification_type_id) -> bool:
        if self.course_id is not None:
            return course_id == self.course_id
        return qualification_type_id == self.qualification_type_id


@dataclass
class Eligibility:
    ok: bool
    reasons: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        return "；".join(self.reasons)

    def __bool__(self) -> bool:
        return self.ok


def _messages() -> tuple[str, str, str]:
    """The three reasons in the active language, translated once per call (a gettext per
    volunteer was most of a 1,000-person batch's time)."""
    return _("%(name)s证书已于%(date)s过期"), _("未完成「%(name)s」培训"), _("未取得「%(name)s」资格")


def _reason(req: Requirement, certs, on: dt.date, messages: tuple[str, str, str]) -> str | None:
    """None when one of ``certs`` (issued_on, expires_on) is valid on ``on``, else why not."""
    expired = None
    for issued_on, expires_on in certs:
        if issued_on <= on and (expires_on is None or on <= expires_on):
            return None
        if issued_on <= on and expires_on is not None and (expired is None or expires_on > expired):
            expired = expires_on
    if expired is not None:
        return messages[0] % {"name": req.name, "date": expired.isoformat()}
    if req.course_id is not None:
        return messages[1] % {"name": req.name}
    return messages[2] % {"name": req.name}


def training_requirements_met_batch(
    *, volunteer_ids: Iterable[int], requirements: Iterable, on: dt.date
) -> dict[int, Eligibility]:
    """The answer for each of ``volunteer_ids``, in one query (none when nothing is required)."""
    ids = sorted({int(v) for v in volunteer_ids})
    reqs = [Requirement.of(r) for r in requirements]
    if not reqs:
        return {v: Eligibility(True) for v in ids}
    course_ids = [r.course_id for r in reqs if r.course_id is not None]
    type_ids = [r.qualification_type_id for r in reqs if r.qualification_type_id is not None]
    match = Q(pk__in=[])
    if course_ids:
        match |= Q(course_id__in=course_ids)
    if type_ids:
        match |= Q(qualification_type_id__in=type_ids)
    # (volunteer, "c" or "q", id) -> [(issued_on, expires_on)]; a course certificate that earns a
    # qualification counts for both
    held: dict[tuple, list[tuple]] = defaultdict(list)
    if ids:
        rows = (
            # the ids bound as one parameter (core.arrays): 1,000 placeholders cost more than the query
            TrainingCertificate.objects.filter(match, one_of("volunteer_id", ids), status=CertificateStatus.VALID)
            .values_list("volunteer_id", "course_id", "qualification_type_id", "issued_on", "expires_on")
            .order_by()
        )
        for volunteer_id, course_id, type_id, issued_on, expires_on in rows:
            if course_id is not None:
                held[(volunteer_id, "c", course_id)].append((issued_on, expires_on))
            if type_id is not None:
                held[(volunteer_id, "q", type_id)].append((issued_on, expires_on))
    messages = _messages()
    keys = [("c", r.course_id) if r.course_id is not None else ("q", r.qualification_type_id) for r in reqs]
    # most of a list holds nothing for a requirement: that reason is the same for all of them
    missing = [_reason(req, (), on, messages) for req in reqs]
    out = {}
    for v in ids:
        reasons = []
        for req, (kind, key), none in zip(reqs, keys, missing, strict=True):
            certs = held.get((v, kind, key))
            why = _reason(req, certs, on, messages) if certs else none
            if why:
                reasons.append(why)
        out[v] = Eligibility(not reasons, reasons)
    return out


def training_requirements_met(*, volunteer, requirements: Iterable, on: dt.date) -> Eligibility:
    """Does ``volunteer`` hold, on ``on``, a valid certificate for every requirement (courses
    and/or qualification types)? One indexed query."""
    volunteer_id = volunteer if isinstance(volunteer, int) else volunteer.pk
    return training_requirements_met_batch(volunteer_ids=[volunteer_id], requirements=requirements, on=on)[volunteer_id]

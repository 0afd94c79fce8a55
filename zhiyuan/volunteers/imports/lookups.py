"""The import check is not a free lookup (issue #8 item 4).

A check says of each row whether its document or mobile is already registered — anywhere, not
only in the manager's region: the manager needs that row error, and it stays. But 200,000 rows at
a time, it would answer "is this person registered?" far faster than self-registration (20 an
hour per address). So:

* **Rate limit** (``check_throttle``, on submit): a manager may start ``ZHIYUAN_IMPORT_CHECK_LIMIT``
  checks per ``ZHIYUAN_IMPORT_CHECK_WINDOW_SECONDS`` (``accounts.ratelimit``, the shared cache).
  A check is a dry run or an all-or-nothing import — one bad row and the latter writes nothing,
  so it answers like a dry run. "Valid rows only" registers every row it can, in the manager's
  name: not a free lookup. Repeating a submit that returns the existing job counts nothing.
  A refusal is a 429 with a message, audited (``volunteer.import_check_limited``).
* **Audit** (``HitCounter``): every run records ``volunteer.import_lookup`` with its duplicate
  hits (a row's document or mobile already registered: one hit each) and how many of them lie
  outside the manager's scope (no volunteer the manager can see holds that document or mobile).
* **Flag**: a run with at least ``ZHIYUAN_IMPORT_FLAG_MIN_HITS`` hits, most of them outside the
  scope, is recorded as ``volunteer.import_lookup_flagged`` instead — a manager importing their
  own residents meets their own registered people, not other regions'.
"""

from django.conf import settings
from django.utils.translation import gettext as _

from zhiyuan.accounts.ratelimit import rate_limit_hit
from zhiyuan.core.audit import audit_record
from zhiyuan.core.errors import DomainError
from zhiyuan.core.models import AuditEntry
from zhiyuan.volunteers import documents
from zhiyuan.volunteers.idcards import parse_document
from zhiyuan.volunteers.imports.columns import ALL_OR_NOTHING, DRY_RUN
from zhiyuan.volunteers.models import Volunteer
from zhiyuan.volunteers.services.registration import MSG_DUPLICATE_DOCUMENT, MSG_DUPLICATE_MOBILE
from zhiyuan.volunteers.validation import clean_mobile

CHECKS = (DRY_RUN, ALL_OR_NOTHING)


def check_throttle(*, actor, mode: str, request=None) -> None:
    """Count a check by ``actor``; refuse it (429, audited) past the limit."""
    if mode not in CHECKS:
        return
    limit = settings.ZHIYUAN_IMPORT_CHECK_LIMIT
    window = settings.ZHIYUAN_IMPORT_CHECK_WINDOW_SECONDS
    if not rate_limit_hit(f"import-check:{actor.pk}", limit, window):
        return
    message = _("校验过于频繁：每%(minutes)s分钟最多校验%(n)s次，请稍后再试。") % {"minutes": max(window // 60, 1), "n": limit}
    audit_record(
        actor=actor, action="volunteer.import_check_limited", object_type="volunteers.volunteer", request=request,
        result=AuditEntry.Result.DENIED, detail={"mode": mode, "limit": limit, "window_seconds": window},
    )  # fmt: skip
    raise DomainError("rate_limited", message, fields={"file": [message]}, status=429)


def _has(messages, template) -> bool:
    text = str(template)
    return any(str(m) == text for m in messages)


class HitCounter:
    """Duplicate hits of one run and how many lie outside the actor's scope."""

    def __init__(self, actor):
        self.actor = actor
        self.hits = 0
        self.outside = 0

    def count(self, chunk, results) -> None:
        """``chunk``: the ``ImportRow``s given to the registration service; ``results``: its answer."""
        indexes: set[str] = set()
        mobiles: set[str] = set()
        for row, result in zip(chunk, results, strict=True):
            if _has(result.errors.get("id_number", ()), MSG_DUPLICATE_DOCUMENT):
                try:
                    doc = parse_document(row.data["id_type"], row.data["id_number"])
                except DomainError:  # the service parsed it; a date rollover in between
                    continue
                indexes.add(documents.document_index(doc.id_type, doc.normalized))
            if _has(result.errors.get("mobile", ()), MSG_DUPLICATE_MOBILE):
                mobile, err = clean_mobile(row.data["mobile"])
                if not err:
                    mobiles.add(mobile)
        if not indexes and not mobiles:
            return
        visible = Volunteer.objects.visible_to(self.actor, include_restricted=True)
        inside = 0
        if indexes:
            inside += visible.filter(id_number_index__in=indexes).count()
        if mobiles:
            inside += visible.filter(user__mobile__in=mobiles).count()
        self.hits += len(indexes) + len(mobiles)
        self.outside += len(indexes) + len(mobiles) - inside

    @property
    def flagged(self) -> bool:
        return self.hits >= settings.ZHIYUAN_IMPORT_FLAG_MIN_HITS and self.outside * 2 > self.hits

    def audit(self, *, mode: str, rows: int, request=None, ip: str | None = None) -> None:
        audit_record(
            actor=self.actor,
            action="volunteer.import_lookup_flagged" if self.flagged else "volunteer.import_lookup",
            object_type="volunteers.volunteer",
            request=request,
            ip=ip,
            detail={"mode": mode, "rows": rows, "duplicate_hits": self.hits, "outside_scope": self.outside},
        )

"""Writes of the hour ledger (REC-1 … REC-4), split by sub-domain (STYLE.md):

* ``ledger``       the one write path: chain append + kept totals, the volunteer lock, overlaps
* ``hours``        credit from attendance, confirm / bulk confirm / void, compensating entries
* ``honour``       honour hours: proposed, approved by a second person
* ``corrections``  错误/缺漏 requests with encrypted evidence, accepted or rejected
"""

from zhiyuan.records.services.corrections import (
    correction_accept,
    correction_evidence_read,
    correction_file,
    correction_get,
    correction_get_for_decision,
    correction_reject,
)
from zhiyuan.records.services.honour import honour_decide, honour_get_for_decision, honour_propose
from zhiyuan.records.services.hours import (
    DECISION_FLAGS,
    BulkResult,
    attendance_confirm,
    attendance_void,
    attendances_confirm_bulk,
    entry_correct,
    entry_get_for_change,
    entry_void,
    flag_labels,
    needs_decision,
    round_minutes,
)
from zhiyuan.records.services.ledger import ledger_append, ledger_lock, overlap_check, partition_of

__all__ = [
    "DECISION_FLAGS",
    "BulkResult",
    "attendance_confirm",
    "attendance_void",
    "attendances_confirm_bulk",
    "correction_accept",
    "correction_evidence_read",
    "correction_file",
    "correction_get",
    "correction_get_for_decision",
    "correction_reject",
    "entry_correct",
    "entry_get_for_change",
    "entry_void",
    "flag_labels",
    "honour_decide",
    "honour_get_for_decision",
    "honour_propose",
    "ledger_append",
    "ledger_lock",
    "needs_decision",
    "overlap_check",
    "partition_of",
    "round_minutes",
]

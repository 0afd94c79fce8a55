"""Checking rows beyond what the registration service sees: duplicates across the whole file
(named by Excel row), merged with the service's per-row results."""

import hashlib
import os

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhiyuan.core.filecrypt import private_scratch_db
from zhiyuan.volunteers import idcards
from zhiyuan.volunteers.idcards import IdType
from zhiyuan.volunteers.imports.read import ImportRow
from zhiyuan.volunteers.imports.report import RowError
from zhiyuan.volunteers.services.registration import MSG_DUPLICATE_DOCUMENT, MSG_DUPLICATE_MOBILE
from zhiyuan.volunteers.validation import clean_mobile


def _document_key(id_type: str, number: str) -> tuple | None:
    """The in-memory duplicate key of a document: type and normalized number (15-digit resident
    IDs as their 18-digit form). No parsing: the registration service validates the number."""
    n = idcards.normalize(number)
    if not n:
        return None
    if id_type == IdType.RESIDENT_ID and len(n) == 15 and n.isascii() and n.isdigit():
        n = idcards.upgrade_15(n)
    return (id_type, n)


# The service's own duplicate messages, which the file-wide check above replaces (it names Excel
# rows, and sees across chunks). Same literals as services/registration.py, so same translation.
_SERVICE_DUPLICATES = {
    "id_number": (MSG_DUPLICATE_DOCUMENT, gettext_lazy("与本批第%(n)s条的证件号码重复。")),
    "mobile": (MSG_DUPLICATE_MOBILE, gettext_lazy("与本批第%(n)s条的手机号重复。")),
}


def _is_service_duplicate(field_name: str, message: str) -> bool:
    for template in _SERVICE_DUPLICATES.get(field_name, ()):
        t = str(template)
        if "%(n)s" in t:
            prefix, suffix = t.split("%(n)s", 1)
            if message.startswith(prefix) and message.endswith(suffix):
                return True
        elif message == t:
            return True
    return False


class Seen:
    """The first Excel row of every document and mobile met so far in the file.

    Kept in a private temporary SQLite database (``filecrypt.private_scratch_db``: on disk in
    the private temporary directory, unlinked at once), so memory stays flat however long the file.
    Keys are 64-bit BLAKE2b digests under a random per-file key that never leaves this
    object — nothing in the file can be brute-forced back to a number."""

    def __init__(self):
        self._key = os.urandom(16)
        self._db = private_scratch_db()
        self._db.execute("CREATE TABLE seen (k INTEGER PRIMARY KEY, row INTEGER NOT NULL)")

    def close(self) -> None:
        self._db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _digest(self, kind: str, value: str) -> int:
        raw = hashlib.blake2b(f"{kind}\x00{value}".encode(), key=self._key, digest_size=8).digest()
        return int.from_bytes(raw, "big", signed=True)

    def _first_rows(self, keys: list[int]) -> dict[int, int]:
        found: dict[int, int] = {}
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            marks = ",".join("?" * len(part))
            found.update(self._db.execute(f"SELECT k, row FROM seen WHERE k IN ({marks})", part).fetchall())  # noqa: S608
        return found

    def flags(self, rows: list[ImportRow]) -> dict[int, dict[str, str]]:
        """Rows of ``rows`` repeating an earlier row's document or mobile (this chunk or an
        earlier one): {row: {field: message}}; remembers the rest."""
        keyed: list[tuple[int, str, int]] = []
        for r in rows:
            doc = _document_key(r.data["id_type"], r.data["id_number"]) if "id_number" not in r.cell_errors else None
            if doc is not None:
                keyed.append((r.row, "id_number", self._digest("doc", "\x00".join(doc))))
            mobile, err = clean_mobile(r.data["mobile"])
            if mobile and not err:
                keyed.append((r.row, "mobile", self._digest("mobile", mobile)))
        first = self._first_rows([k for _r, _f, k in keyed])
        new: dict[int, int] = {}
        flags: dict[int, dict[str, str]] = {}
        messages = {"id_number": _("与第%(n)s行的证件号码重复。"), "mobile": _("与第%(n)s行的手机号码重复。")}
        for row, name, k in keyed:
            earlier = first.get(k) or new.get(k)
            if earlier is not None:
                flags.setdefault(row, {})[name] = messages[name] % {"n": earlier}
            else:
                new[k] = row
        self._db.executemany("INSERT INTO seen (k, row) VALUES (?, ?)", new.items())
        return flags


def merge(chunk: list[ImportRow], results, flags) -> tuple[list[RowError], list]:
    """The service's results for ``chunk`` merged with the file's own findings: the errors, and
    the (row, result) pairs of the rows without any."""
    errors: list[RowError] = []
    ok = []
    for r, res in zip(chunk, results, strict=True):
        merged = {k: list(v) for k, v in res.errors.items()}
        # Our own duplicate check sees the whole file and names Excel rows: it replaces the
        # service's batch/database duplicate message for the repeated field.
        for f, msg in flags.get(r.row, {}).items():
            merged[f] = [m for m in merged.get(f, []) if not _is_service_duplicate(f, m)] + [msg]
        for f, msgs in r.cell_errors.items():
            merged[f] = list(msgs)
        for f, msgs in merged.items():
            errors.extend(RowError(r.row, f, str(m)) for m in msgs)
        if not merged:
            ok.append((r, res))
    return errors, ok

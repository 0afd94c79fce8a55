"""Document numbers at rest (SPEC VOL-2, PIPL 28/51).

* the number is sealed with AES-GCM (``core.crypto.seal``, purpose ``volunteers.id_number``);
* duplicates are found with an HMAC blind index over ``"<id_type>:<normalized number>"``;
* everyone but the person sees the masked form (``4413**********123X``).

Parsing and checksums live in ``idcards.py`` (``parse_document``); this module only protects
the result.
"""

from zhiyuan.core import crypto
from zhiyuan.volunteers import code_tables

ID_PURPOSE = "volunteers.id_number"
RESIDENT_ID = "111"  # GA/T 2000.156


def document_parse(id_type: str, number: str):
    """``idcards.parse_document``: raises DomainError(fields={"id_number": [...]})."""
    from zhiyuan.volunteers.idcards import parse_document

    return parse_document(id_type, number)


def document_index(id_type: str, normalized: str) -> str:
    return crypto.blind_index(f"{id_type}:{normalized}", purpose=ID_PURPOSE)


def document_indexes(id_type: str, normalized: str) -> list[str]:
    """For look-ups: the index under every blind-index key in the ring (one outside a re-index)."""
    return crypto.blind_indexes(f"{id_type}:{normalized}", purpose=ID_PURPOSE)


def document_seal(normalized: str) -> str:
    return crypto.seal(normalized, purpose=ID_PURPOSE)


def document_unseal(token: str) -> str:
    return crypto.unseal(token, purpose=ID_PURPOSE)


def document_mask(id_type: str, normalized: str) -> str:
    try:
        from zhiyuan.volunteers.idcards import mask_document
    except ImportError:  # pragma: no cover - idcards is part of the app
        return crypto.mask(normalized)
    try:
        return mask_document(id_type, normalized)
    except TypeError:
        return mask_document(normalized)


def document_protect(id_type: str, normalized: str) -> tuple[str, str, str]:
    """(sealed, blind index, masked) for storing a parsed number."""
    return document_seal(normalized), document_index(id_type, normalized), document_mask(id_type, normalized)


def id_type_label(id_type: str) -> str:
    """The document type's name in the active language (cached per language; unknown: the code)."""
    return code_tables.label("id_type", id_type)

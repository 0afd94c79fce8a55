"""Reads of the regions app (REG-1, REG-2). Regions are public reference data: no scoping here;
scoping of *other* apps' objects by region prefix uses ``region_descendants_q``."""

import datetime
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from zhiyuan.core.errors import NotFound
from zhiyuan.regions.codes import ancestor_codes, normalize_code, prefix_q, region_prefix
from zhiyuan.regions.models import Level, Region, RegionPopulation

# Special administrative regions / Taiwan: codes used by residence permits (GB/T 2260).
SPECIAL_ADDRESS_CODES = frozenset({"810000", "820000", "830000"})


def _normalize_or_404(code) -> str:
    try:
        return normalize_code(str(code or ""))
    except ValueError:
        raise NotFound(_("区划代码无效。")) from None


def region_get(code: str) -> Region:
    """The region with a 2/4/6/9/12-digit code (``"4413"`` = ``"441300000000"``); NotFound otherwise."""
    region = Region.objects.filter(code=_normalize_or_404(code)).first()
    if region is None:
        raise NotFound(_("区划不存在。"))
    return region


def region_find(code: str) -> Region | None:
    """Like ``region_get`` but ``None`` for a malformed or unknown code."""
    try:
        return region_get(code)
    except NotFound:
        return None


def region_children(code: str | None = None) -> QuerySet[Region]:
    """Direct children ordered by code; the provinces when ``code`` is empty."""
    if not code:
        return Region.objects.filter(parent__isnull=True).order_by("code")
    return Region.objects.filter(parent_id=_normalize_or_404(code)).order_by("code")


def region_children_with_population(code: str | None = None) -> QuerySet[Region]:
    """Children annotated with their latest population (``latest_population``, ``latest_year``)."""
    latest = RegionPopulation.objects.filter(region_id=OuterRef("code")).order_by("-year")
    return region_children(code).annotate(
        latest_population=Subquery(latest.values("population")[:1]),
        latest_year=Subquery(latest.values("year")[:1]),
    )


def region_ancestors(code: str) -> list[Region]:
    """Ancestors of a region, province first (the region itself excluded), in one query."""
    codes = ancestor_codes(_normalize_or_404(code))
    found = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return [found[c] for c in codes if c in found]


def region_descendants_q(code: str, field: str = "code", *, include_self: bool = True) -> Q:
    """``Q`` matching a 12-digit region-code ``field`` inside the region (REG-2 prefix rule).

    ``Volunteer.objects.filter(region_descendants_q("441302", "region_code"))``."""
    full = _normalize_or_404(code)
    q = prefix_q(field, region_prefix(full))
    if not include_self:
        q &= ~Q(**{field: full})
    return q


def region_descendants(code: str, *, include_self: bool = False) -> QuerySet[Region]:
    return Region.objects.filter(region_descendants_q(code, include_self=include_self)).order_by("code")


def region_full_name(code: str) -> str:
    """``'广东省/惠州市/惠城区'``; empty string for an unknown code."""
    region = region_find(code)
    return region.full_name if region else ""


def region_short_names(codes, *, parts: int = 2) -> dict[str, str]:
    """``{code: '惠城区/桥东街道'}``: the last ``parts`` segments of each full name, enough to tell
    apart same-named places in a list (pickers); one query for all ``codes``."""
    codes = {c for c in codes if c}
    if not codes:
        return {}
    rows = Region.objects.filter(code__in=codes).values_list("code", "full_name")
    return {code: "/".join(full.split("/")[-parts:]) for code, full in rows}


def region_search(q: str, *, under: str | None = None, max_level: int | None = None) -> QuerySet[Region]:
    """Regions whose name (or full name) contains ``q``, higher levels first. ``q`` that is all
    digits matches codes by prefix instead."""
    q = (q or "").strip()[:50]
    qs = Region.objects.all()
    if under:
        qs = qs.filter(region_descendants_q(under))
    if max_level:
        qs = qs.filter(level__lte=max_level)
    if not q:
        return qs.none()
    if q.isascii() and q.isdigit():
        qs = qs.filter(prefix_q("code", q)) if len(q) <= 12 else qs.none()
    else:
        qs = qs.filter(Q(name__icontains=q) | Q(full_name__icontains=q))
    return qs.order_by("level", "code")


def region_named_q(q: str, field: str = "region_code", *, limit: int = 5) -> Q:
    """Rows whose ``field`` lies in a region named like ``q`` (the first ``limit`` matches,
    higher levels first), so a list can be searched by place as well as by name."""
    prefixes = [region_prefix(code) for code in region_search(q).filter(name__icontains=q).values_list("code", flat=True)[:limit]]
    cond = Q(pk__in=[])
    for p in prefixes:
        cond |= prefix_q(field, p)
    return cond


def region_populations(code: str) -> QuerySet[RegionPopulation]:
    return RegionPopulation.objects.filter(region_id=_normalize_or_404(code)).order_by("-year")


def region_population(code: str, year: int | None = None) -> int | None:
    """Resident population of the region in ``year`` (the latest year when ``None``)."""
    qs = region_populations(code)
    if year is not None:
        qs = qs.filter(year=year)
    return qs.values_list("population", flat=True).first()


# --- address codes of ID numbers (REG-1: historical codes kept for ID-number validation) ---


@lru_cache(maxsize=1)
def _loc_db():
    from stdnum import numdb

    return numdb.get("cn/loc")


@lru_cache(maxsize=8192)
def _historical_ranges(code6: str) -> tuple[tuple[int | None, int | None], ...] | None:
    """Year ranges in python-stdnum's ``cn/loc`` list for a county-level code, or None.

    Entries read like ``'[-1988]惠阳地区'`` (abolished 1988), ``'[1988-]惠城区'`` or a plain name
    (no range known); several entries are comma separated."""
    info = {k: v for _part, props in _loc_db().info(code6) for k, v in props.items()}
    county = info.get("county")
    if not county:
        return None
    ranges = []
    for entry in county.split(","):
        if entry.startswith("[") and "]" in entry:
            start, _sep, end = entry[1 : entry.index("]")].partition("-")
            ranges.append((int(start) if start.isdigit() else None, int(end) if end.isdigit() else None))
        else:
            ranges.append((None, None))
    return tuple(ranges)


class _AddressCodeCache:
    """The 6-digit prefixes of current province/city/county codes, loaded on first use."""

    def __init__(self):
        self.codes: frozenset[str] | None = None

    def get(self) -> frozenset[str]:
        if self.codes is None:
            rows = Region.objects.filter(level__lte=Level.COUNTY, code__endswith="000000").values_list("code", flat=True)
            self.codes = frozenset(code[:6] for code in rows)
        return self.codes


_address_code_cache: ContextVar[_AddressCodeCache | None] = ContextVar("zhiyuan_address_code_cache", default=None)


@contextmanager
def address_codes_cached():
    """Inside the block, ``address_code_known`` answers current codes from one set loaded with
    one query on first use (≈ 3,200 province/city/county codes for the whole country) instead of
    one query per call — for batches such as the VOL-10 import. Nested blocks share the outer
    set. The set is a snapshot: regions imported while the block runs are seen after it ends."""
    if _address_code_cache.get() is not None:
        yield
        return
    token = _address_code_cache.set(_AddressCodeCache())
    try:
        yield
    finally:
        _address_code_cache.reset(token)


def _current_address_code(code6: str) -> bool:
    cache = _address_code_cache.get()
    if cache is not None:
        return code6 in cache.get()
    return Region.objects.filter(code=code6 + "000000", level__lte=Level.COUNTY).exists()


def address_code_known(code6: str, *, on_date: datetime.date | None = None) -> bool:
    """Is ``code6`` a plausible address code of a resident ID number (GB 11643)?

    True when it is the 6-digit prefix of a current province/city/county in the database, one
    of 810000/820000/830000 (HK/Macau/Taiwan residence permits), or a historical code in
    python-stdnum's ``cn/loc`` list (REG-1 keeps abolished codes: an ID number keeps the code of
    its first registration). With ``on_date`` (the holder's birth date), a historical code
    counts only if it had not been abolished before that year. One query per call, none inside
    ``address_codes_cached()`` (historical codes come from an in-memory table, cached)."""
    code6 = (code6 or "").strip()
    if len(code6) != 6 or not (code6.isascii() and code6.isdigit()) or code6.startswith("00"):
        return False
    if code6 in SPECIAL_ADDRESS_CODES:
        return True
    if _current_address_code(code6):
        return True
    ranges = _historical_ranges(code6)
    if not ranges:
        return False
    if on_date is None:
        return True
    return any(end is None or end >= on_date.year for _start, end in ranges)

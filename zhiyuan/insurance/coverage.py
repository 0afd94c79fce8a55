"""The one insurance answer for the layers above (issue #9 item 5, FUN-4, 条例 art. 17):
is this volunteer insured for this organization's activity on this date?

``insurance_covered(volunteer=, organization=, on=)`` answers ``CoverAnswer(covered=True, ...)``
or ``covered=False`` with the precise Chinese reason, in **one** query (the candidate policies,
with "is listed" and "is a member" as ``EXISTS`` sub-queries on the indexed
``(volunteer, policy)`` and ``(volunteer, status)`` columns). ``insurance_covered_many`` answers a
whole enrolment list in a constant number of queries (three, whatever the number of volunteers).

Which policies count for an organization O and a volunteer V (kind ``accident`` by default):

* policies held by O or by O's parent organization (a sub-team is covered by its parent's
  policies): ``members`` cover V when V is an active member of the holder or of one of its
  sub-teams; ``listed`` cover V when V is on the list;
* platform policies (no holder) for a region that contains V's residence region (``members``:
  every volunteer living there) or the organization's region (``listed``: the listed persons);
* ``activity`` policies only when the caller names one (``policy=``): the activities app keeps
  the policy of an activity and asks about it; such a policy covers the activity's participants
  (the caller vouches for participation), or only its listed persons once it has a list.

A cancelled policy covers up to the day before it was cancelled (``cancelled_on``). Reasons look
back ``ZHIYUAN_INSURANCE_REASON_LOOKBACK_DAYS`` (366) days for a policy that has ended; older
ones are not read (the question stays on the indexed ``ends_on`` range).
"""

import datetime as dt
import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from zhiyuan.insurance.models import Cover, InsurancePolicy, InsuredPerson, Kind, Status
from zhiyuan.regions.codes import ancestor_codes, code_in_scope, prefix_q, region_prefix

FIELDS = (
    "id",
    "policy_no",
    "insurer",
    "cover",
    "starts_on",
    "ends_on",
    "status",
    "cancelled_on",
    "holder_id",
    "region_code",
    "insured_count",
)


@dataclass(frozen=True)
class CoverAnswer:
    covered: bool
    reason: str = ""  # Chinese (the active language), "" when covered
    policy_id: int | None = None  # the policy that covers, or the one the reason names
    policy_no: str = ""
    ends_on: dt.date | None = None  # the covering policy's last day

    def __bool__(self) -> bool:
        return self.covered


def _lookback() -> int:
    return getattr(settings, "ZHIYUAN_INSURANCE_REASON_LOOKBACK_DAYS", 366)


def _codes(*region_codes: str) -> list[str]:
    """The regions whose platform policies may cover someone living in one of ``region_codes``:
    each code and its ancestors, each once."""
    out: dict[str, None] = {}
    for code in dict.fromkeys(region_codes):
        if code:
            out.update(dict.fromkeys(_ancestors(code)))
            out[code] = None
    return sorted(out)


@functools.lru_cache(maxsize=65536)
def _ancestors(code: str) -> tuple[str, ...]:
    """``ancestor_codes``, remembered: a batch of 1,000 people asks for a few hundred regions,
    each checked and split once per process rather than once per person and call."""
    return tuple(ancestor_codes(code))


def _org_ids(organization) -> list[int]:
    if organization is None:
        return []
    return [i for i in (organization.pk, organization.parent_id) if i]


def _candidates(*, organization, region_codes: list[str], on: dt.date, kind: str):
    """The policies that may answer (``_in_regions`` keeps the platform ones of exactly
    ``region_codes``). Platform policies are asked by province — a range each on the
    ``(region_code, kind, ends_on)`` index — not by the codes themselves: an enrolment list's
    people live in hundreds of regions, and a list of hundreds of codes costs more to send and
    plan than the few platform policies of a province cost to read."""
    org_ids = _org_ids(organization)
    provinces = Q(pk__in=[])
    for province in sorted({c[:2] for c in region_codes}):
        provinces |= prefix_q("region_code", province)
    where = Q(holder__isnull=True) & provinces
    if org_ids:
        where |= Q(holder_id__in=org_ids)
    return (
        InsurancePolicy.objects.filter(where, kind=kind, ends_on__gte=on - dt.timedelta(days=_lookback()))
        .exclude(cover=Cover.ACTIVITY)
        .order_by("-ends_on", "-id")
    )


def _in_regions(rows: list[dict], region_codes: list[str]) -> list[dict]:
    """The candidates without the platform policies of other regions of those provinces."""
    wanted = set(region_codes)
    return [p for p in rows if p["holder_id"] is not None or p["region_code"] in wanted]


def _member_subquery(volunteer_id):
    from zhiyuan.organizations.models import Membership

    return Membership.objects.filter(volunteer_id=volunteer_id, status=Membership.Status.ACTIVE).filter(
        Q(organization_id=OuterRef("holder_id")) | Q(organization__parent_id=OuterRef("holder_id"))
    )


def _last_day(p: dict) -> dt.date:
    if p["status"] == Status.CANCELLED and p["cancelled_on"]:
        return min(p["ends_on"], p["cancelled_on"] - dt.timedelta(days=1))
    return p["ends_on"]


def _prepare(policies: list[dict], on: dt.date) -> list[dict]:
    """Work out once per question what does not depend on the volunteer."""
    for p in policies:
        p["_last"] = _last_day(p)
        p["_valid"] = p["starts_on"] <= p["_last"] and p["starts_on"] <= on <= p["_last"]
        p["_prefix"] = region_prefix(p["region_code"]) if p["holder_id"] is None else ""
    return policies


def _applies(p: dict, *, volunteer, listed: bool, member: bool) -> bool:
    """Does policy ``p`` name this volunteer, dates aside?"""
    if p["cover"] == Cover.LISTED:
        return listed
    if p["cover"] == Cover.ACTIVITY:
        return listed or not p["insured_count"]
    if p["holder_id"] is None:  # a platform blanket policy: everyone living in its region
        return code_in_scope(volunteer.region_code, p["_prefix"])
    return member


def _fmt(d: dt.date) -> str:
    return d.strftime("%Y-%m-%d")


def _not_valid_reason(p: dict, on: dt.date) -> str:
    if on < p["starts_on"]:
        return _("保单 %(no)s 自%(date)s起生效") % {"no": p["policy_no"], "date": _fmt(p["starts_on"])}
    if p["status"] == Status.CANCELLED and p["cancelled_on"] and p["cancelled_on"] <= p["ends_on"]:
        return _("保单 %(no)s 已于%(date)s退保") % {"no": p["policy_no"], "date": _fmt(p["cancelled_on"])}
    return _("保单 %(no)s 已于%(date)s到期") % {"no": p["policy_no"], "date": _fmt(p["ends_on"])}


def decide(
    policies: list[dict],
    *,
    volunteer,
    organization,
    on: dt.date,
    listed: set[int],
    member_of: set[int],
    cache: dict | None = None,
) -> CoverAnswer:
    """The answer from the candidate policies (newest end first): ``listed`` holds the ids of
    the policies listing the volunteer, ``member_of`` the holder ids the volunteer is an active
    member of (directly or through a sub-team). The answer depends only on which policies name
    the volunteer, so a batch shares it (``cache``) between volunteers named by the same ones."""
    if policies and "_valid" not in policies[0]:
        _prepare(policies, on)
    applicable = tuple(
        p["id"]
        for p in policies
        if _applies(p, volunteer=volunteer, listed=p["id"] in listed, member=p["holder_id"] in member_of)
    )
    if cache is not None and applicable in cache:
        return cache[applicable]
    answer = _answer(policies, set(applicable), organization=organization, on=on)
    if cache is not None:
        cache[applicable] = answer
    return answer


def _answer(policies: list[dict], applicable_ids: set[int], *, organization, on: dt.date) -> CoverAnswer:
    applicable = [p for p in policies if p["id"] in applicable_ids]
    for p in applicable:
        if p["_valid"]:
            return CoverAnswer(True, "", p["id"], p["policy_no"], p["_last"])
    # Not covered. Say why as precisely as the records allow: a policy that names the person but
    # is not in force that day, then a policy in force that does not name them, then nothing.
    started = [p for p in applicable if p["starts_on"] <= on]
    if started:
        p = started[0]
        return CoverAnswer(False, _not_valid_reason(p, on), p["id"], p["policy_no"])
    if applicable:
        p = applicable[-1]  # the one starting soonest
        return CoverAnswer(False, _not_valid_reason(p, on), p["id"], p["policy_no"])
    in_force = [p for p in policies if p["_valid"]]
    for p in in_force:
        if p["cover"] in (Cover.LISTED, Cover.ACTIVITY):
            return CoverAnswer(
                False, _("该志愿者不在保单 %(no)s 的被保险人名单中") % {"no": p["policy_no"]}, p["id"], p["policy_no"]
            )
    for p in in_force:
        if p["holder_id"] is not None:
            name = organization.name if organization is not None and p["holder_id"] == organization.pk else ""
            return CoverAnswer(
                False,
                _("该志愿者不是%(org)s的在队成员，不在保单 %(no)s 的保障范围内")
                % {"org": name or _("投保组织"), "no": p["policy_no"]},
                p["id"],
                p["policy_no"],
            )
    return CoverAnswer(False, _("未参加任何有效保险"))


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _pairs(sql: str, **columns) -> list[tuple]:
    """Run ``sql`` whose ``{column}`` markers become "column is one of these values", each list
    bound as one parameter (as ``core.arrays.one_of``: ``= ANY(%s)`` on PostgreSQL, ``IN (SELECT
    value FROM json_each(%s))`` on SQLite; a thousand bound values cost more than the query)."""
    marks = sorted((sql.index("{" + column + "}"), column) for column in columns)  # parameters in text order
    params: list = []
    for _pos, column in marks:
        values = list(columns[column])
        if connection.vendor == "postgresql":
            part = f"{column} = ANY(%s)"
            params.append(values)
        else:
            part = f"{column} IN (SELECT value FROM json_each(%s))"  # noqa: S608 (column names from the code)
            params.append(json.dumps(values))
        sql = sql.replace("{" + column + "}", part)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def insurance_covered(*, volunteer, organization, on: dt.date, kind: str = Kind.ACCIDENT, policy=None) -> CoverAnswer:
    """Is ``volunteer`` insured (``kind``) for ``organization``'s activity on ``on``? One query.

    With ``policy`` (an activity's own policy, or any one policy) only that policy is asked:
    it must be the organization's (or its parent's) or a platform policy."""
    vid = volunteer.pk
    annotated = dict(
        listed=Exists(InsuredPerson.objects.filter(policy_id=OuterRef("pk"), volunteer_id=vid)),
        member=Exists(_member_subquery(vid)),
    )
    if policy is not None:
        rows = list(InsurancePolicy.objects.filter(pk=policy.pk).annotate(**annotated).values(*FIELDS, "listed", "member"))
        if not rows:
            return CoverAnswer(False, _("未参加任何有效保险"))
        p = rows[0]
        if p["holder_id"] is not None and p["holder_id"] not in _org_ids(organization):
            return CoverAnswer(False, _("保单 %(no)s 不是本组织投保的保单") % {"no": p["policy_no"]}, p["id"], p["policy_no"])
        return decide(
            rows,
            volunteer=volunteer,
            organization=organization,
            on=on,
            listed={p["id"]} if p["listed"] else set(),
            member_of={p["holder_id"]} if p["member"] else set(),
        )
    codes = _codes(volunteer.region_code, getattr(organization, "region_code", ""))
    rows = _in_regions(
        list(
            _candidates(organization=organization, region_codes=codes, on=on, kind=kind)
            .annotate(**annotated)
            .values(*FIELDS, "listed", "member")
        ),
        codes,
    )
    return decide(
        rows,
        volunteer=volunteer,
        organization=organization,
        on=on,
        listed={p["id"] for p in rows if p["listed"]},
        member_of={p["holder_id"] for p in rows if p["member"]},
    )


def insurance_covered_many(
    *, volunteers: Iterable, organization, on: dt.date, kind: str = Kind.ACCIDENT
) -> dict[int, CoverAnswer]:
    """``insurance_covered`` for a whole list (an enrolment list): ``{volunteer id: answer}`` in
    three queries at most, whatever the number of volunteers (candidate policies; the lists that
    name any of them; their memberships of the holders)."""
    from zhiyuan.organizations.models import Membership, Organization

    people = list(volunteers)
    if not people:
        return {}
    ids = [v.pk for v in people]
    codes = _codes(getattr(organization, "region_code", ""), *sorted({v.region_code for v in people}))
    candidates = _candidates(organization=organization, region_codes=codes, on=on, kind=kind)
    policies = _in_regions(list(candidates.values(*FIELDS)), codes)
    listed: dict[int, set[int]] = {}
    members: dict[int, set[int]] = {}
    listing = [p["id"] for p in policies if p["cover"] == Cover.LISTED]
    if listing:
        for vid, pid in _pairs(
            # table names from the models, values bound as parameters
            f"SELECT volunteer_id, policy_id FROM {_table(InsuredPerson)} WHERE {{policy_id}} AND {{volunteer_id}}",  # noqa: S608
            policy_id=listing,
            volunteer_id=ids,
        ):
            listed.setdefault(vid, set()).add(pid)
    holders = sorted({p["holder_id"] for p in policies if p["cover"] == Cover.MEMBERS and p["holder_id"] is not None})
    if holders:
        wanted = set(holders)
        sql = (  # table names from the models, values bound as parameters
            f"SELECT m.volunteer_id, m.organization_id, o.parent_id FROM {_table(Membership)} m "  # noqa: S608
            f"JOIN {_table(Organization)} o ON o.id = m.organization_id "
            f"WHERE m.status = 'active' AND {{m.volunteer_id}} AND ({{m.organization_id}} OR {{o.parent_id}})"
        )
        for vid, oid, parent in _pairs(sql, **{"m.volunteer_id": ids, "m.organization_id": holders, "o.parent_id": holders}):
            members.setdefault(vid, set()).update({oid, parent} & wanted)
    _prepare(policies, on)
    cache: dict = {}
    return {
        v.pk: decide(
            policies,
            volunteer=v,
            organization=organization,
            on=on,
            listed=listed.get(v.pk, set()),
            member_of=members.get(v.pk, set()),
            cache=cache,
        )
        for v in people
    }

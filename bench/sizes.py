"""Dataset sizes. Every count derives from the number of volunteers so a custom size ``N`` scales
the whole dataset the way the named ones do."""

from dataclasses import asdict, dataclass

# Ratios observed on real platforms (SPEC "scale of the national system": 2.4e8 volunteers,
# 1.35e6 teams, 1.3e7 projects, 5.5e9 hours): about one team per 180 volunteers, and ledger
# entries an order of magnitude above volunteers. We use round numbers close to those.
VOLUNTEERS_PER_ORGANIZATION = 100
LEDGER_ENTRIES_PER_VOLUNTEER = 10
# Service points (STA-1): about one per 200 volunteers, i.e. ~3 per town of 广东省 at ``large``
# (one practice centre per county, one institute per town, stations and 站/岗/点/室 below).
VOLUNTEERS_PER_SERVICE_POINT = 200
# Even the smallest dataset has every kind of organization (ORG-1), a few statuses and a practice
# network of centre → institute → station, so the smoke test sees each of them.
MIN_ORGANIZATIONS = 12
MIN_SERVICE_POINTS = 6


@dataclass(frozen=True)
class Size:
    name: str
    volunteers: int
    organizations: int
    service_points: int
    projects: int
    activities: int
    ledger_entries: int
    demands: int

    def as_dict(self) -> dict:
        return asdict(self)


def size_for(volunteers: int, name: str | None = None) -> Size:
    if volunteers < 1:
        raise ValueError("a dataset needs at least one volunteer")
    orgs = max(MIN_ORGANIZATIONS, volunteers // VOLUNTEERS_PER_ORGANIZATION)
    return Size(
        name=name or str(volunteers),
        volunteers=volunteers,
        organizations=orgs,
        service_points=max(MIN_SERVICE_POINTS, volunteers // VOLUNTEERS_PER_SERVICE_POINT),
        projects=max(3, orgs * 2),
        activities=max(5, volunteers // 10),
        ledger_entries=volunteers * LEDGER_ENTRIES_PER_VOLUNTEER,
        demands=max(3, volunteers // 50),
    )


PRESETS = {
    "smoke": 200,  # the test suite runs this in a second or two
    "small": 10_000,
    "medium": 100_000,
    "large": 1_000_000,  # issue 3: 10^6 volunteers, 10^7 ledger entries
}


def parse_size(text: str) -> Size:
    """``smoke|small|medium|large`` or a number of volunteers (``250000``, ``250_000``, ``2.5e5``)."""
    text = str(text).strip().lower()
    if text in PRESETS:
        return size_for(PRESETS[text], text)
    try:
        n = int(float(text.replace("_", "")))
    except ValueError:
        raise ValueError(f"unknown size {text!r}: use {', '.join(PRESETS)} or a number of volunteers") from None
    return size_for(n)

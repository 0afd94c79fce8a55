"""The region tree the generated data live in, for stages after ``regions``: names, parents,
the residence weights summed per county unit, city and province, ancestor look-ups, draws of a
region at a level weighted by population, addresses, phones and map positions.

A *county unit* is a county, or a city whose towns hang directly under it (东莞, 中山): the
level a practice centre or a county federation sits at. Built once per run from the ``Region``
table and the residence distribution of the regions stage (``ctx.shared["geo"]``).
"""

import math
from collections import defaultdict

from bench import realism
from bench.stages import Context, Skip
from zhiyuan.regions.importing import GROUPING_NAMES

ROADS = (
    "人民路", "中山路", "解放路", "建设路", "文明路", "新华路", "环城路", "朝阳路", "滨江路", "东风路", "府前路",
    "文化路", "学府路", "长安路", "和平路", "工业大道", "迎宾大道", "发展大道", "光明路", "胜利路", "青年路",
    "振兴路", "商业街", "东门路", "西门路", "南门路", "北门路", "育才路", "公园路", "沿江路",
)  # fmt: skip


def geo(ctx: Context) -> "Geo":
    """The run's :class:`Geo`, built on first use."""
    found = ctx.shared.get("geo")
    if found is None:
        residence = ctx.shared.get("residence")
        if residence is None:
            raise Skip("no residence regions (the regions stage did not run)")
        from zhiyuan.regions.models import Region

        rows = Region.objects.filter(code__startswith=ctx.province or "", level__lte=4).values_list(
            "code", "level", "parent_id", "name", "full_name"
        )
        found = ctx.shared["geo"] = Geo(list(rows), residence.weights)
    return found


class Geo:
    def __init__(self, rows: list[tuple], residence_weights: dict[str, float]):
        self.level: dict[str, int] = {}
        self.parent: dict[str, str | None] = {}
        self.name: dict[str, str] = {}
        self.full: dict[str, str] = {}
        self.children: dict[str, list[str]] = defaultdict(list)
        for code, level, parent, name, full in rows:
            self.level[code], self.parent[code], self.name[code], self.full[code] = level, parent, name, full
        # 市辖区 / 县 of the municipalities are groupings, not names: 北京市, not 市辖区志愿服务联合会.
        self.groupings = {c for c, name in self.name.items() if name in GROUPING_NAMES}
        for code in self.groupings:
            if self.parent.get(code) in self.name:
                self.name[code] = self.name[self.parent[code]]
        for code, parent in self.parent.items():
            if parent in self.level:
                self.children[parent].append(code)
        self.residence = {c: w for c, w in residence_weights.items() if c in self.level}
        self.draw_residence = realism.Picker(self.residence)
        # Residence weight summed per region at every level above it (a town's weight counts for
        # its county unit, city and province).
        self.weight: dict[str, float] = defaultdict(float)
        for code, w in self.residence.items():
            self.weight[code] += w
            for up in self.ancestors(code):
                self.weight[up] += w
        self._unit: dict[str, str] = {}
        self._pickers: dict[tuple, realism.Picker | None] = {}

    def ancestors(self, code: str) -> list[str]:
        out = []
        parent = self.parent.get(code)
        while parent is not None and parent in self.level:
            out.append(parent)
            parent = self.parent.get(parent)
        return out

    def ancestor(self, code: str, level: int) -> str:
        """The region at ``level`` above ``code`` (itself when it is at or above ``level``). Where a
        level is skipped (东莞's towns have no county) the next one up."""
        while self.level[code] > level and self.parent.get(code) in self.level:
            code = self.parent[code]
        return code

    def unit(self, code: str) -> str:
        """The county unit of a region at county level or below."""
        found = self._unit.get(code)
        if found is None:
            found = self._unit[code] = self.ancestor(code, 3)
        return found

    def units(self) -> dict[str, float]:
        """County units with their residence weight."""
        out: dict[str, float] = defaultdict(float)
        for code, w in self.residence.items():
            if self.level[code] >= 3:
                out[self.unit(code)] += w
            else:
                out[code] += w
        return dict(out)

    def towns_of(self, unit: str) -> dict[str, float]:
        """Towns of a county unit with their weight (none for a county without towns)."""
        return {c: self.residence[c] for c in self.children.get(unit, ()) if self.level[c] == 4 and c in self.residence}

    def of_level(self, level: int) -> dict[str, float]:
        return {c: w for c, w in self.weight.items() if self.level[c] == level and w > 0}

    def draw(self, rng, level: int) -> str:
        """A region at ``level`` (1 province … 4 town), weighted by where people live."""
        return self.ancestor(self.draw_residence(rng), level)

    def draw_under(self, rng, prefix: str, level: int) -> str | None:
        """A region at ``level`` whose code starts with ``prefix``, weighted by population."""
        key = (prefix, level)
        if key not in self._pickers:
            inside = defaultdict(float)
            for code, w in self.residence.items():
                if code.startswith(prefix):
                    inside[self.ancestor(code, level)] += w
            self._pickers[key] = realism.Picker(inside) if inside else None
        picker = self._pickers[key]
        return picker(rng) if picker is not None else None

    def short(self, code: str) -> str:
        """惠州市 -> 惠州 (for names like 中国移动惠州分公司)."""
        name = self.name[code]
        for suffix in ("市", "地区", "自治州", "盟"):
            if name.endswith(suffix) and len(name) > len(suffix) + 1:
                return name[: -len(suffix)]
        return name

    def city(self, code: str) -> str:
        return self.ancestor(code, 2)

    def address(self, rng, code: str) -> str:
        """A street address inside the region: its path below the province, a road, a number.
        A province-level address is in the province's first city (the capital)."""
        while self.level[code] < 3 and self.children.get(code):
            code = sorted(self.children[code])[0]
        parts = [p for p in self.full[code].split("/") if p not in GROUPING_NAMES]
        path = "".join(parts[1:]) if len(parts) > 1 else parts[0]
        return f"{path}{rng.choice(ROADS)}{rng.randint(1, 399)}号"

    def landline(self, rng, code: str) -> str | None:
        found = realism.CITY_PHONE.get(code[:4])
        if found is None:
            return None
        area, digits = found
        return f"{area}-{rng.randint(2, 8)}{rng.randrange(10 ** (digits - 1)):0{digits - 1}d}"

    def seat(self, code: str) -> tuple[float, float] | None:
        return realism.CITY_SEAT.get(code[:4])


def mobile(rng) -> str:
    return rng.choice(realism.MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


_SURNAME = realism.Picker(realism.SURNAMES)


def person_name(rng) -> str:
    given = realism.GIVEN_FEMALE if rng.random() < realism.FEMALE_SHARE else realism.GIVEN_MALE
    extra = rng.choice(realism.GIVEN_COMMON) if rng.random() < 0.7 else ""
    return _SURNAME(rng) + rng.choice(given) + extra


def apportion(total: int, weights: dict, minimum: int = 0) -> dict:
    """Split ``total`` into integer parts proportional to ``weights`` (largest remainder), each at
    least ``minimum`` when the total allows it. Exact, so small datasets keep the proportions."""
    keys = list(weights)
    if not keys:
        return {}
    base = minimum if total >= minimum * len(keys) else 0
    rest = total - base * len(keys)
    whole = sum(weights.values())
    shares = {k: rest * weights[k] / whole for k in keys}
    out = {k: base + int(shares[k]) for k in keys}
    left = total - sum(out.values())
    for k in sorted(keys, key=lambda k: shares[k] - int(shares[k]), reverse=True)[:left]:
        out[k] += 1
    return out


def weighted_order(rng, weights: dict) -> list:
    """All keys in a random order where heavier keys tend to come first (Efraimidis–Spirakis):
    the first k are a weighted sample of k without replacement."""
    keyed = [(math.log(1.0 - rng.random()) / w if w > 0 else -math.inf, k) for k, w in weights.items()]
    keyed.sort(key=lambda t: (-t[0], t[1]))
    return [k for _key, k in keyed]

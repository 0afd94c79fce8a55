"""Stage 1: regions. Loads the shipped divisions of the chosen province (or the country) when they
are missing, and builds the residence distribution later stages draw from (weights in
bench/realism.py): province by 2020 census population, city by census population where
bench/realism.py has it (广东省) and equally otherwise, then counties equally within a city and
towns equally within a county."""

from collections import defaultdict

from bench import realism
from bench.stages import Context, Skip, require_models


class Residence:
    """Weighted choice of a residence town (12-digit code)."""

    def __init__(self, weights: dict[str, float]):
        self.weights = weights  # code -> weight, for stages that aggregate it (bench/geo.py)
        self.pick = realism.Picker(weights)
        self.codes = self.pick.items

    def __call__(self, rng) -> str:
        return self.pick(rng)


def residence_weights(rows: list[tuple[str, int, str | None]], province: str | None) -> dict[str, float]:
    """``rows`` are (code, level, parent code) of levels 1–4. Returns town (or, where a county
    has no towns, county) code -> probability weight."""
    children = defaultdict(list)
    level_of = {}
    for code, level, parent in rows:
        level_of[code] = level
        if parent:
            children[parent].append(code)
    weights: dict[str, float] = {}
    provinces = [c for c, lv in level_of.items() if lv == 1 and (not province or c.startswith(province))]
    for prov in provinces:
        p_weight = realism.PROVINCE_POPULATION.get(prov[:2], 0) if not province else 1.0
        cities = [c for c in children[prov] if level_of[c] == 2]
        if not p_weight or not cities:
            continue
        known = [realism.CITY_POPULATION.get(c[:4]) for c in cities]
        if all(known):
            total = sum(known)
            city_weights = {c: p_weight * k / total for c, k in zip(cities, known, strict=True)}
        else:
            city_weights = {c: p_weight / len(cities) for c in cities}
        for city, c_weight in city_weights.items():
            # A city without counties (东莞, 中山) has its towns directly under it: one unit.
            units = [c for c in children[city] if level_of[c] == 3]
            if any(level_of[c] == 4 for c in children[city]):
                units.append(city)
            if not units:
                weights[city] = c_weight
                continue
            for unit in units:
                towns = [c for c in children[unit] if level_of[c] == 4]
                share = c_weight / len(units)
                if towns:
                    for town in towns:
                        weights[town] = share / len(towns)
                else:
                    weights[unit] = share
    return weights


class RegionsStage:
    name = "regions"
    models = ("regions.Region",)

    def run(self, ctx: Context) -> dict[str, int]:
        (Region,) = require_models(*self.models)
        prefix = ctx.province or ""
        loaded = 0
        if not Region.objects.filter(code__startswith=prefix, level=4).exists():
            try:
                from zhiyuan.regions.services import region_import_shipped
            except ImportError as exc:
                raise Skip(f"no regions loaded and no region_import_shipped ({exc})") from exc
            ctx.progress.say(f"  [regions] loading shipped divisions for {prefix or 'the whole country'} …")
            loaded = region_import_shipped(province_prefix=prefix or None)
        rows = list(Region.objects.filter(code__startswith=prefix, level__lte=4).values_list("code", "level", "parent_id"))
        weights = residence_weights(rows, ctx.province)
        if not weights:
            raise Skip(f"no regions under {prefix!r}")
        ctx.shared["residence"] = Residence(weights)
        ctx.shared["migrant_counties"] = self._migrant_counties()
        return {"regions.Region": loaded or 0}

    @staticmethod
    def _migrant_counties() -> list[str]:
        """6-digit county codes of the provinces internal migrants mostly come from, read from
        the shipped file (not the database: only the home province is loaded)."""
        from zhiyuan.regions import importing

        path = importing.data_dir() / "areas.csv"
        if not path.exists():
            return []
        with importing.open_text(path) as fh:
            return [
                row.code[:6]
                for row in importing.read_rows(fh, level=3, parent_column="cityCode", prefix=None)
                if row.code[:2] in realism.MIGRANT_ORIGIN_PROVINCES and row.name not in importing.GROUPING_NAMES
            ]


STAGES = [RegionsStage()]

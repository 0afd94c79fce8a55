from ninja import Schema


class RegionOut(Schema):
    code: str
    name: str
    level: int
    full_name: str
    parent: str | None = None

    @staticmethod
    def resolve_parent(obj) -> str | None:
        return obj.parent_id if not isinstance(obj, dict) else obj.get("parent")


class PopulationOut(Schema):
    year: int
    population: int
    source: str = ""


class RegionDetailOut(RegionOut):
    ancestors: list[RegionOut] = []
    populations: list[PopulationOut] = []
    children_count: int = 0

"""Stages for model families that do not exist yet. Each names the models it will fill and the
counts the size asks for; when the models appear, the stage reports ``missing`` (and the smoke
test fails) until someone writes the real stage in its own module and replaces the line here.

Planned counts (see bench/sizes.py): activities = volunteers / 10, about 3 shifts each,
enrollments and attendance ~ 10 per volunteer, ledger entries = 10 x volunteers (10^7 for the
``large`` size), demands = volunteers / 50.
"""

from bench.stages import Context, get_model


class Missing(Exception):
    """The models exist but nobody wrote the stage yet."""


class PendingStage:
    def __init__(self, name: str, models: tuple[str, ...], count_attr: str):
        self.name = name
        self.models = models
        self.count_attr = count_attr

    def run(self, ctx: Context) -> dict[str, int]:
        from bench.stages import Skip

        absent = [label for label in self.models if get_model(label) is None]
        if absent:
            planned = getattr(ctx.size, self.count_attr)
            raise Skip(f"{', '.join(absent)} not in the project yet (planned: {planned:,} {self.count_attr})")
        raise Missing(f"{', '.join(self.models)} exist now: write bench/stages/{self.name}.py")


STAGES = [
    PendingStage("demands", ("demands.Demand",), "demands"),
]

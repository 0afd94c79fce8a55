"""Generator stages: one per model family, run in order. Later issues add a module here and a
line to :data:`STAGE_MODULES`.

A stage is a class with ``name``, ``models`` (app labels ``"app.Model"`` it fills) and
``run(ctx) -> dict[label, rows]``. When one of its models does not exist yet, the stage is
skipped with a message; when the models exist but the stage is still a placeholder, the run
reports it as ``missing`` and the smoke test fails, so a new model family cannot silently stay
out of the benchmarks.
"""

import random
import sys
import time
from dataclasses import dataclass, field
from importlib import import_module

from django.apps import apps
from django.db import models

from bench.sizes import Size

STAGE_MODULES = (
    "bench.stages.regions",
    "bench.stages.people",
    "bench.stages.organizations",
    "bench.stages.stations",  # service points of the practice network and their admins
    "bench.stages.insurance",  # insurance policies of organizations and the platform, insured lists
    "bench.stages.training",  # courses, sessions, training records and certificates, qualifications
    "bench.stages.activities",  # projects, activities, shifts, positions, slots; enrollments, attendance; the hour ledger
    "bench.stages.pending",  # demands
)


class Skip(Exception):
    """Raised by a stage that cannot run here; the message says why."""


class Progress:
    """One line per second at most, on stderr: rows so far, share done, rows per second."""

    def __init__(self, *, quiet: bool = False, stream=None):
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self._last = 0.0

    def reporter(self, stage: str, table: str, total: int | None):
        """``report(done)``; ``report.restart()`` starts the rows/s clock again (call it when the
        writing starts, if the table was set up long before)."""
        clock = {"started": time.perf_counter()}

        def report(done: int, *, final: bool = False) -> None:
            now = time.perf_counter()
            if self.quiet or (not final and now - self._last < 1.0):
                return
            self._last = now
            rate = done / max(now - clock["started"], 1e-9)
            share = f" ({done / total:4.0%})" if total else ""
            of = f"/{total:,}" if total else ""
            print(f"  [{stage}] {table}: {done:,}{of}{share}  {rate:,.0f} rows/s", file=self.stream, flush=True)

        report.restart = lambda: clock.update(started=time.perf_counter())
        return report

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.stream, flush=True)


class Phases:
    """Seconds per phase of a stage, said as they end (where a stage's time goes)."""

    def __init__(self, ctx: "Context", stage: str):
        self.ctx, self.stage = ctx, stage
        self.last = time.perf_counter()

    def lap(self, what: str) -> None:
        now = time.perf_counter()
        self.ctx.progress.say(f"  [{self.stage}] {what}: {now - self.last:,.1f} s")
        self.last = now


@dataclass
class Context:
    size: Size
    seed: int
    province: str | None  # 2-digit prefix, or None for the whole country
    progress: Progress
    shared: dict = field(default_factory=dict)  # what a stage hands to later ones
    workers: int = 1  # producer processes a stage may fork (PostgreSQL, outside a transaction)

    def rng(self, stage: str) -> random.Random:
        """A generator per stage, so adding a stage never changes the data of another."""
        return random.Random(f"{self.seed}:{stage}")


def get_model(label: str, *, migrated: bool = False):
    """The model, or None when it does not exist (or, with ``migrated``, has no table yet)."""
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return None
    if migrated:
        from bench.bulk import table_exists

        if not table_exists(model):
            return None
    return model


def require_models(*labels: str) -> list:
    found = []
    for label in labels:
        model = get_model(label)
        if model is None:
            raise Skip(f"{label} does not exist yet")
        found.append(model)
    return found


def has_field(model, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except Exception:
        return False
    return True


class UnknownField(Exception):
    pass


def constant_fill(model, exclude: set[str], columns: set[str] | None = None) -> tuple[list[str], tuple]:
    """Columns a stage does not generate get their default (evaluated once), NULL, or ''.
    A required column without any of those stops the run with a message naming it, so a new
    column is noticed here rather than producing a half-filled dataset."""
    names, values = [], []
    for f in model._meta.concrete_fields:
        if f.attname in exclude or f.name in exclude or (columns is not None and f.column not in columns):
            continue
        if f.has_default():
            value = f.get_default()
        elif f.null:
            value = None
        elif f.blank and isinstance(f, models.CharField | models.TextField):
            value = ""
        elif isinstance(f, models.CharField | models.TextField) and f.choices:
            value = f.choices[0][0]
        else:
            raise UnknownField(
                f"bench: {model._meta.label}.{f.name} is required and has no default; "
                f"teach the generator stage that fills {model._meta.label} to generate it"
            )
        names.append(f.attname)
        values.append(value)
    return names, tuple(values)


class Table:
    """One target table of a stage: its writer (with progress), the next explicit id, and the
    constant columns (:func:`constant_fill`). Rows are tuples in the order of ``fields``; only
    the columns the table really has are written."""

    def __init__(self, ctx: Context, stage: str, model, fields: list[str], label: str, total: int | None,
                 *, start: int | None = None, stride: int = 1):  # fmt: skip
        """``start``/``stride``: ids ``start, start + stride, …`` (a partition's share of the
        table when several processes fill it, ``bench.stages.activities.Partitions``)."""
        from bench import bulk

        columns = bulk.db_columns(model)
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        self.keep = [i for i, name in enumerate(fields) if by_attname[name].column in columns]
        self.all_kept = len(self.keep) == len(fields)
        extra_names, self.extra = constant_fill(model, set(fields), columns)
        kept = [fields[i] for i in self.keep]
        self.model = model
        self.writer = bulk.Writer(model, kept + extra_names, progress=ctx.progress.reporter(stage, label, total))
        self.next_id = bulk.next_id(model) if start is None else start
        self.stride = stride
        self.rows: list = []

    def add(self, row: tuple) -> int:
        """Append a row whose first value is ignored and replaced by a fresh id; returns the id."""
        pk = self.next_id
        self.next_id += self.stride
        row = (pk, *row[1:])
        if not self.all_kept:
            row = tuple(row[i] for i in self.keep)
        self.rows.append(row + self.extra)
        return pk

    def take(self) -> list:
        """The rows added so far, converted for the backend (``Writer.prepare``): write them with
        ``table.writer.write(rows, prepared=True)``."""
        rows, self.rows = self.rows, []
        return self.writer.prepare(rows)

    def start(self) -> None:
        """Writing starts now (for the rows/s of the progress lines)."""
        restart = getattr(self.writer.progress, "restart", None)
        if restart is not None:
            restart()

    def flush(self) -> None:
        self.writer.write(self.take(), prepared=True)


def load_stages() -> list:
    stages = []
    for path in STAGE_MODULES:
        stages.extend(import_module(path).STAGES)
    return stages

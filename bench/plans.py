"""Query plans of the list scenarios (bench/lists_bench.py): EXPLAIN ANALYZE (PostgreSQL) or
EXPLAIN QUERY PLAN (SQLite) of the queries a list page runs — the count, the page, the look-ups —
as the province and the city manager of the lists benchmark, in Markdown.

    python -m bench.plans --database-url URL [--only SUBSTRING] > plans.md

Run it on a quiet database (not during a load run): ANALYZE executes the queries.
"""

import argparse
import time


def _explain(sql: str, vendor: str) -> tuple[str, float]:
    from django.db import connection

    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(prefix + sql)
        rows = cur.fetchall()
    seconds = time.perf_counter() - t0
    if vendor == "postgresql":
        return "\n".join(r[0] for r in rows), seconds
    return "\n".join(f"{r[0]:>3} {r[1]:>3} {r[-1]}" for r in rows), seconds


def _sql_of(run) -> list[str]:
    """The SQL ``run()`` sends (executing it once)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        run()
    return [q["sql"] for q in ctx.captured_queries]


def cases(actor, sample: dict):
    """(label, callable running the query the page runs) for each query worth a plan. The
    volunteers' queries are those of the list machinery (``core.lists``: one keyset page, no
    count) and the kept total (``volunteers.tallies``)."""
    from django.db.models import Count, Q

    from zhiyuan.core.lists import keyset_page, list_query
    from zhiyuan.volunteers.lists import VOLUNTEERS, volunteer_total
    from zhiyuan.volunteers.selectors import volunteer_find_by_document

    def vl(cursor_after: int = 0, **kw):
        data = {k: str(v) for k, v in kw.items()} or None
        qs = list_query(actor=actor, spec=VOLUNTEERS, data=data, strict=True).queryset
        rows, cursor = keyset_page(qs, cursor=None, size=20)
        for _ in range(cursor_after):  # walk: each page after the previous one's cursor
            rows, cursor = keyset_page(qs, cursor=cursor, size=20)
        return rows

    def organizations():
        from zhiyuan.organizations.lists import ORGANIZATIONS

        return keyset_page(list_query(actor=actor, spec=ORGANIZATIONS, data=None).queryset, cursor=None, size=20)

    def stations():
        from zhiyuan.stations.lists import POINTS

        return keyset_page(list_query(actor=actor, spec=POINTS, data=None).queryset, cursor=None, size=20)

    def directory():
        from zhiyuan.organizations.lists import DIRECTORY

        return keyset_page(list_query(actor=None, spec=DIRECTORY, data=None).queryset, cursor=None, size=20)

    def directory_before():
        from zhiyuan.organizations.models import Membership, Organization
        from zhiyuan.volunteers.models import processable_q

        before = (
            Organization.objects.filter(status="active")
            .annotate(
                n=Count(
                    "memberships",
                    filter=Q(processable_q("memberships__volunteer__"), memberships__status=Membership.Status.ACTIVE),
                )
            )
            .order_by("region_code", "name", "id")
        )
        return list(before[:20]), before.count()

    s = sample
    return [
        ("volunteers: total from the tallies", lambda: volunteer_total(actor, {})),
        ("volunteers: total, status=suspended", lambda: volunteer_total(actor, {"status": "suspended"})),
        ("volunteers: first page, default sort", lambda: vl()),
        ("volunteers: third page (cursor)", lambda: vl(cursor_after=2)),
        ("volunteers: sort name", lambda: vl(sort="name")),
        ("volunteers: sort registered_at", lambda: vl(sort="registered_at")),
        ("volunteers: sort volunteer_no", lambda: vl(sort="volunteer_no")),
        ("volunteers: sort age", lambda: vl(sort="age")),
        ("volunteers: sort -age", lambda: vl(sort="-age")),
        ("volunteers: filter status=suspended", lambda: vl(status="suspended")),
        ("volunteers: filter gender=2", lambda: vl(gender="2")),
        ("volunteers: filter age 18-22", lambda: vl(age_min=18, age_max=22)),
        ("volunteers: filter political_status", lambda: vl(political_status=s["political_status"])),
        ("volunteers: filter skill", lambda: vl(skill=s["skill"])),
        ("volunteers: filter service_category", lambda: vl(service_category=s["service_category"])),
        (
            "volunteers: filter registered month",
            lambda: vl(registered_from=s["registered_from"], registered_to=s["registered_to"]),
        ),
        ("volunteers: filter region=county", lambda: vl(region=s["county"])),
        ("volunteers: search name", lambda: vl(q=s["name"])),
        ("volunteers: search name (2 characters)", lambda: vl(q=s["name"][-2:])),
        ("volunteers: exact mobile", lambda: vl(q=s["mobile"])),
        ("volunteers: exact volunteer number", lambda: vl(q=s["volunteer_no"])),
        ("volunteers: exact ID number", lambda: list(volunteer_find_by_document(actor=actor, number=s["id_number"]))),
        ("organizations (manager list): page", organizations),
        ("service points (manager list): page", stations),
        ("public directory: keyset page (this code, no count)", directory),
        ("public directory: page and count (before: aggregate per request)", directory_before),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.plans", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--only")
    args = parser.parse_args(argv)
    from bench.generate import setup_django

    setup_django(args.database_url)
    from django.db import connection

    from bench.lists_bench import MANAGERS, ensure_managers, samples

    managers = ensure_managers()
    vendor = connection.vendor
    print(f"# Query plans ({vendor}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})\n")
    for key, code, _mobile in MANAGERS:
        actor = managers[key][0]
        sample = samples(code)
        for label, run in cases(actor, sample):
            title = f"{key} ({code}): {label}"
            if args.only and args.only not in title:
                continue
            try:
                sqls = _sql_of(run)
            except Exception as exc:  # e.g. a column this database does not have yet
                print(f"## {title}\n\nnot run: {exc}\n", flush=True)
                continue
            for sql in sqls:
                if "django_session" in sql or not sql.lstrip().upper().startswith("SELECT"):
                    continue
                text, seconds = _explain(sql, vendor)
                print(f"## {title}  ({seconds * 1000:.0f} ms with EXPLAIN)\n\n```sql\n{sql[:1500]}\n```\n\n```\n{text}\n```\n",
                      flush=True)  # fmt: skip


if __name__ == "__main__":
    main()

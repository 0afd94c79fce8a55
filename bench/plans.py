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
    """(label, callable running the query the page runs) for each query worth a plan."""
    from django.db.models import Count, Q
    from zhiyuan.volunteers.selectors_manage import VolunteerFilters, volunteer_find_by_document, volunteer_list

    from zhiyuan.core.lists import keyset_page, list_query
    from zhiyuan.organizations.lists import DIRECTORY, ORGANIZATIONS
    from zhiyuan.organizations.models import Membership, Organization
    from zhiyuan.stations.lists import POINTS
    from zhiyuan.volunteers.models import processable_q

    def vl(**kw):
        return volunteer_list(actor=actor, filters=VolunteerFilters(**kw))

    def last_page():
        qs = vl()
        n = qs.count()
        return list(qs[(n - 1) // 20 * 20 : n])

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
    return [
        ("volunteers: count (every page)", lambda: vl().count()),
        ("volunteers: first page, default sort", lambda: list(vl()[:20])),
        ("volunteers: page 50", lambda: list(vl()[980:1000])),
        ("volunteers: last page (offset)", last_page),
        ("volunteers: sort name", lambda: list(vl(sort="name")[:20])),
        ("volunteers: sort -age", lambda: list(vl(sort="-age")[:20])),
        ("volunteers: filter skill, count", lambda: vl(skill=sample["skill"]).count()),
        ("volunteers: filter service_category, count", lambda: vl(service_category=sample["service_category"]).count()),
        ("volunteers: filter status=suspended, page", lambda: list(vl(status="suspended")[:20])),
        ("volunteers: search name, count", lambda: vl(q=sample["name"]).count()),
        ("volunteers: exact mobile, page", lambda: list(vl(q=sample["mobile"])[:20])),
        ("volunteers: exact volunteer number, page", lambda: list(vl(q=sample["volunteer_no"])[:20])),
        ("volunteers: exact ID number", lambda: list(volunteer_find_by_document(actor=actor, number=sample["id_number"]))),
        (
            "organizations (manager list): page",
            lambda: keyset_page(list_query(actor=actor, spec=ORGANIZATIONS, data=None).queryset, cursor=None, size=20),
        ),
        (
            "service points (manager list): page",
            lambda: list(list_query(actor=actor, spec=POINTS, data=None).queryset[:20]),
        ),
        (
            "public directory: keyset page (this code, no count)",
            lambda: keyset_page(list_query(actor=None, spec=DIRECTORY, data=None).queryset, cursor=None, size=20),
        ),
        ("public directory: page and count (before: aggregate per request)", lambda: (list(before[:20]), before.count())),
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

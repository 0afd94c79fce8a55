"""The insurance cover check at scale (issue #9 item 6): ``insurance_covered_many`` for an
enrolment list of 1,000 volunteers, and ``insurance_covered`` for one, on a generated dataset.

    python -m bench.insurance_bench --database-url URL [--volunteers 1000] [--repeat 30]

The list is what an activity of the organization with the longest insured list would see: the
people on its list in force on the reference day (up to half the list), members and others of
its city (not covered, so every answer needs its reason). Measured in-process (the function the
activities app will call, not HTTP), after three warm-up calls; queries are counted once. Writes
a JSON result to bench/results/.
"""

import argparse
import json
import random
import sys
import time
from pathlib import Path

from bench.generate import RESULTS, setup_django


def pick(n: int, seed: int):
    from django.db.models import Count

    from bench.stages.people import REFERENCE_DATE
    from zhiyuan.insurance.models import InsurancePolicy, InsuredPerson
    from zhiyuan.organizations.models import Organization
    from zhiyuan.volunteers.models import Volunteer

    policy = (
        InsurancePolicy.objects.filter(cover="listed", starts_on__lte=REFERENCE_DATE, ends_on__gte=REFERENCE_DATE)
        .order_by("-insured_count", "id")
        .first()
    )
    if policy is None:
        sys.exit("no listed policy in force on the reference day: generate a dataset with the insurance stage")
    org = Organization.objects.get(pk=policy.holder_id)
    listed = list(InsuredPerson.objects.filter(policy=policy).values_list("volunteer_id", flat=True)[: n // 2])
    rng = random.Random(seed)
    ids = set(listed)
    # the rest of the list: volunteers of the organization's city (or province) who are not on it
    for prefix in (org.region_code[:4], org.region_code[:2]):
        lo, hi = prefix.ljust(12, "0"), prefix.ljust(12, "9")
        pool = list(Volunteer.objects.filter(region_code__range=(lo, hi)).values_list("id", flat=True)[: n * 20])
        rng.shuffle(pool)
        for vid in pool:
            if len(ids) >= n:
                break
            ids.add(vid)
        if len(ids) >= n:
            break
    people = list(Volunteer.objects.filter(id__in=ids).only("id", "region_code"))
    members = Organization.objects.filter(pk=org.pk).aggregate(n=Count("memberships"))["n"]
    return org, policy, people, REFERENCE_DATE, {"listed": len(listed), "holder_memberships": members}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.insurance_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: DATABASE_URL")
    parser.add_argument("--volunteers", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", help="default bench/results/insurance-cover-…json")
    args = parser.parse_args(argv)
    setup_django(args.database_url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.machine import database_info, machine_info, now_iso
    from bench.stats import percentile
    from zhiyuan.insurance.coverage import insurance_covered, insurance_covered_many

    org, policy, people, on, info = pick(args.volunteers, args.seed)
    for _ in range(3):
        answers = insurance_covered_many(volunteers=people, organization=org, on=on)
    with CaptureQueriesContext(connection) as ctx:
        answers = insurance_covered_many(volunteers=people, organization=org, on=on)
    batch_queries = len(ctx.captured_queries)
    batch = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        insurance_covered_many(volunteers=people, organization=org, on=on)
        batch.append(time.perf_counter() - t0)
    one = []
    for v in people[: min(200, len(people))]:
        t0 = time.perf_counter()
        single = insurance_covered(volunteer=v, organization=org, on=on)
        one.append(time.perf_counter() - t0)
        assert single == answers[v.pk], (v.pk, single, answers[v.pk])
    with CaptureQueriesContext(connection) as ctx:
        insurance_covered(volunteer=people[0], organization=org, on=on)
    batch.sort()
    one.sort()
    covered = sum(1 for a in answers.values() if a.covered)
    reasons: dict[str, int] = {}
    for a in answers.values():
        if not a.covered:
            key = a.reason.split(" ")[0] if a.reason.startswith("保单") else a.reason[:8]
            reasons[key] = reasons.get(key, 0) + 1
    result = {
        "benchmark": "insurance_cover",
        "date": now_iso(),
        "machine": machine_info(),
        "database": database_info(connection),
        "volunteers": len(people),
        "organization_id": org.pk,
        "policy_id": policy.pk,
        "covered": covered,
        "reasons": reasons,
        **info,
        "batch_queries": batch_queries,
        "batch_median_ms": round(percentile(batch, 50) * 1000, 2),
        "batch_p90_ms": round(percentile(batch, 90) * 1000, 2),
        "batch_max_ms": round(batch[-1] * 1000, 2),
        "single_queries": len(ctx.captured_queries),
        "single_median_ms": round(percentile(one, 50) * 1000, 3),
        "single_p90_ms": round(percentile(one, 90) * 1000, 3),
    }
    print(json.dumps({k: v for k, v in result.items() if k not in ("machine",)}, ensure_ascii=False, indent=1))
    RESULTS.mkdir(exist_ok=True)
    out = Path(args.json) if args.json else RESULTS / f"insurance-cover-{connection.vendor}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n")
    print(f"result: {out}", file=sys.stderr)
    return result


if __name__ == "__main__":
    main()

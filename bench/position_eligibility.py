"""The combined eligibility check of a position (issue 9 item 6): an enrolment list of 1,000
volunteers against a position that needs two trainings (a course and a qualification type) and
accident insurance — ``training_requirements_met_batch`` and ``insurance_covered_many`` for the
same people, as the activities app will ask them one after the other. Target: < 50 ms on both
databases at ``large``.

    python -m bench.position_eligibility --database-url URL [--volunteers 1000] [--repeat 30]

The people are those ``bench.insurance_bench`` picks (half on the longest insured list in force
on the reference day, the rest from the holder's city), mixed with holders of the requirements'
certificates, so every kind of answer occurs. The requirements are the course and the
qualification type with the most certificates. Measured in-process after three warm-up calls;
queries counted once; the load average is recorded (the machine is shared). Read-only: it never
migrates or writes the database. Writes a JSON result to bench/results/.
"""

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

from bench.generate import RESULTS, setup_django


def requirements():
    from django.db.models import Count

    from zhiyuan.training.models import QualificationType, TrainingCertificate, TrainingCourse

    def most(field: str) -> int:
        rows = TrainingCertificate.objects.filter(**{f"{field}__isnull": False}).values(field).annotate(n=Count("id"))
        return rows.order_by("-n")[0][field]

    course = TrainingCourse.objects.get(pk=most("course_id"))
    qtype = QualificationType.objects.get(pk=most("qualification_type_id"))
    return course, qtype


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.position_eligibility", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: DATABASE_URL")
    parser.add_argument("--volunteers", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", help="default bench/results/position-eligibility-…json")
    args = parser.parse_args(argv)
    setup_django(args.database_url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.insurance_bench import pick
    from bench.machine import database_info, machine_info, now_iso
    from bench.stats import percentile
    from zhiyuan.insurance.coverage import insurance_covered_many
    from zhiyuan.training.models import TrainingCertificate
    from zhiyuan.training.services.eligibility import training_requirements_met_batch
    from zhiyuan.volunteers.models import Volunteer

    org, policy, people, on, info = pick(args.volunteers, args.seed)
    course, qtype = requirements()
    # a quarter of the list: holders of the course's certificate (the rest mostly hold nothing)
    rng = random.Random(args.seed)
    holders = list(TrainingCertificate.objects.filter(course=course).values_list("volunteer_id", flat=True)[:5000])
    swap = set(rng.sample(holders, min(len(people) // 4, len(holders))))
    kept = [p for p in people if p.pk not in swap][: len(people) - len(swap)]
    people = kept + list(Volunteer.objects.filter(pk__in=swap).only("id", "region_code"))
    ids = [p.pk for p in people]
    reqs = [course, qtype]

    def check():
        trained = training_requirements_met_batch(volunteer_ids=ids, requirements=reqs, on=on)
        insured = insurance_covered_many(volunteers=people, organization=org, on=on)
        return trained, insured

    for _ in range(3):
        trained, insured = check()
    with CaptureQueriesContext(connection) as ctx:
        trained, insured = check()
    queries = len(ctx.captured_queries)
    load_before = os.getloadavg()
    combined, training_only, insurance_only = [], [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        training_requirements_met_batch(volunteer_ids=ids, requirements=reqs, on=on)
        t1 = time.perf_counter()
        insurance_covered_many(volunteers=people, organization=org, on=on)
        t2 = time.perf_counter()
        training_only.append(t1 - t0)
        insurance_only.append(t2 - t1)
        combined.append(t2 - t0)
    load_after = os.getloadavg()
    for xs in (combined, training_only, insurance_only):
        xs.sort()
    eligible = sum(1 for v in ids if trained[v].ok and insured[v].covered)

    def ms(xs, p):
        return round(percentile(xs, p) * 1000, 2)

    result = {
        "benchmark": "position_eligibility",
        "date": now_iso(),
        "machine": machine_info(),
        "database": database_info(connection),
        "volunteers": len(ids),
        "requirements": [f"course:{course.pk}", f"qualification_type:{qtype.pk}", "insurance:accident"],
        "organization_id": org.pk,
        "policy_id": policy.pk,
        "trained": sum(1 for a in trained.values() if a.ok),
        "insured": sum(1 for a in insured.values() if a.covered),
        "eligible": eligible,
        **info,
        "queries": queries,
        "combined_min_ms": round(combined[0] * 1000, 2),
        "combined_median_ms": ms(combined, 50),
        "combined_p90_ms": ms(combined, 90),
        "combined_max_ms": round(combined[-1] * 1000, 2),
        "training_median_ms": ms(training_only, 50),
        "insurance_median_ms": ms(insurance_only, 50),
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in load_after],
    }
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, ensure_ascii=False, indent=1))
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = Path(args.json) if args.json else RESULTS / f"position-eligibility-{connection.vendor}-{stamp}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n")
    print(f"result: {out}", file=sys.stderr)
    return result


if __name__ == "__main__":
    main()

"""The batch training-eligibility check (issue 9 item 6): 1,000 volunteers against a position
with two training requirements (a course and a qualification type), as an enrollment list
would ask it.

    DATABASE_URL=postgres://…/zh_training_large python -m bench.training_eligibility [--volunteers 1000] [--repeat 20]

Needs a database filled by ``python -m bench.generate`` (the training stage). Picks the course
with the most certificates and the qualification type with the most, then 1,000 volunteers of
whom about half hold the course's certificate (the people an enrollment list for such a position
would hold), and times ``training_requirements_met_batch`` (one query) warm, ``--repeat`` times;
prints min / median / max milliseconds and the query plan's use of the index.
"""

import argparse
import os
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--volunteers", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhiyuan.settings")
    django.setup()
    import datetime as dt
    import random

    from django.db import connection
    from django.db.models import Count

    from zhiyuan.training.models import QualificationType, TrainingCertificate, TrainingCourse
    from zhiyuan.training.services.eligibility import training_requirements_met_batch
    from zhiyuan.volunteers.models import Volunteer

    course_id = (
        TrainingCertificate.objects.filter(course__isnull=False)
        .values("course_id")
        .annotate(n=Count("id"))
        .order_by("-n")[0]["course_id"]
    )
    type_id = (
        TrainingCertificate.objects.filter(qualification_type__isnull=False)
        .values("qualification_type_id")
        .annotate(n=Count("id"))
        .order_by("-n")[0]["qualification_type_id"]
    )
    reqs = [TrainingCourse.objects.get(pk=course_id), QualificationType.objects.get(pk=type_id)]
    rng = random.Random(1)
    holders = list(TrainingCertificate.objects.filter(course_id=course_id).values_list("volunteer_id", flat=True)[:5000])
    top = Volunteer.objects.order_by("-id").values_list("id", flat=True).first()
    half = args.volunteers // 2
    ids = rng.sample(holders, min(half, len(holders)))
    while len(ids) < args.volunteers:
        ids.append(rng.randint(1, top))
    on = dt.date(2026, 11, 22)
    times = []
    result = None
    for _ in range(args.repeat + 1):
        t0 = time.perf_counter()
        result = training_requirements_met_batch(volunteer_ids=ids, requirements=reqs, on=on)
        times.append((time.perf_counter() - t0) * 1000)
    times = times[1:]  # the first warms the cache
    ok = sum(1 for r in result.values() if r.ok)
    print(f"{connection.vendor}: {TrainingCertificate.objects.count():,} certificates; {len(ids)} volunteers x 2 requirements")
    print(
        f"  batch check: min {min(times):.1f} ms, median {statistics.median(times):.1f} ms,"
        f" max {max(times):.1f} ms; {ok} eligible"
    )


if __name__ == "__main__":
    main()

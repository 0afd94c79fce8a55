"""Where a check-in's time goes, in-process (no HTTP server, no other client): medians in ms of
the trivial ping, a check-in request through the whole Django stack, the same request with the
check-in service stubbed out (the framework and session authentication alone), the service
alone, and its parts (the enrollment read, the QR token verification, one insert + commit).

    python -m bench.checkin_profile --database-url URL [--n 60]

Run it after ``python -m bench.run checkin`` against the same database: it uses the enrollments
that run's activity left without attendance, and writes check-ins for ``4 × n`` of them."""

import argparse
import os
import statistics
import time
import uuid


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.checkin_profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--n", type=int, default=60)
    args = parser.parse_args(argv)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhiyuan.settings")
    import django

    django.setup()
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.db import connection, transaction
    from django.test import Client

    from zhiyuan.activities import attendance as svc
    from zhiyuan.activities.models import CheckEvent, Enrollment

    n = args.n
    es = list(
        Enrollment.objects.filter(attendance__isnull=True, status="accepted", shift__ends_at__gt=django.utils.timezone.now())
        .select_related("volunteer__user", "activity")
        .order_by("-id")[: 4 * n + 4]
    )
    if len(es) < 4 * n + 4:
        raise SystemExit("not enough open enrollments: run python -m bench.run checkin on this database first")
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = []
    for e in es[: 2 * n + 2]:
        s = store()
        s[SESSION_KEY] = str(e.volunteer.user.pk)
        s[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        s[HASH_SESSION_KEY] = e.volunteer.user.get_session_auth_hash()
        s["_zy_refreshed"] = int(time.time())
        s.create()
        keys.append(s.session_key)
    client = Client()
    tokens: dict = {}

    def token(e):
        if e.shift_id not in tokens:
            tokens[e.shift_id] = svc.qr_token_for(e.shift_id)[0]
        return tokens[e.shift_id]

    def body(e):
        return {"method": "qr", "token": token(e), "client_request_id": uuid.uuid4().hex,
                "latitude": float(e.activity.latitude), "longitude": float(e.activity.longitude)}  # fmt: skip

    def post(i):
        client.cookies[settings.SESSION_COOKIE_NAME] = keys[i]
        r = client.post("/api/v1/activities/attendance/check-in", body(es[i]), content_type="application/json")
        assert r.status_code == 201, r.content

    def median_ms(fn, indexes):
        times = []
        for i in indexes:
            t0 = time.perf_counter()
            fn(i)
            times.append((time.perf_counter() - t0) * 1000)
        return round(statistics.median(times), 2)

    def service(i):
        e = es[i]
        req = svc.CheckRequest(kind="in", client_request_id=uuid.uuid4().hex, latitude=body(e)["latitude"],
                               longitude=body(e)["longitude"])  # fmt: skip
        svc.attendance_check_by_qr(actor=e.volunteer.user, req=req, token=token(e))

    def insert_commit(i):
        with transaction.atomic():
            CheckEvent.objects.create(client_request_id=f"profile-{uuid.uuid4().hex}", kind="in", method="qr", result={})

    client.get("/api/v1/ping")
    post(0)
    out = {"database": connection.vendor}
    out["ping"] = median_ms(lambda i: client.get("/api/v1/ping"), range(n))
    out["check-in request"] = median_ms(post, range(1, n + 1))
    out["service alone"] = median_ms(service, range(2 * n + 2, 3 * n + 2))
    out["enrollment read"] = median_ms(
        lambda i: svc._enrollment(shift_id=es[i].shift_id, user_id=es[i].volunteer.user_id), range(3 * n + 2, 4 * n + 2)
    )
    out["token verify"] = median_ms(lambda i: svc.qr_token_verify(token(es[0]), at=time.time()), range(n))
    out["insert + commit"] = median_ms(insert_commit, range(n))
    canned = {"attendance_id": 1, "kind": "in", "method": "qr", "at": "", "shift_id": 1, "activity_id": 1, "volunteer_no": "",
              "volunteer_name": "", "check_in_at": "", "check_out_at": None, "flags": []}  # fmt: skip
    real = svc.attendance_check_by_qr
    svc.attendance_check_by_qr = lambda **kw: (canned, False)
    try:
        client.cookies[settings.SESSION_COOKIE_NAME] = keys[n + 1]
        out["request, service stubbed"] = median_ms(
            lambda i: client.post("/api/v1/activities/attendance/check-in", body(es[0]), content_type="application/json"),
            range(n),
        )
    finally:
        svc.attendance_check_by_qr = real
    CheckEvent.objects.filter(client_request_id__startswith="profile-").delete()
    out["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(" | ".join(f"{k} {v}" for k, v in out.items()))
    return out


if __name__ == "__main__":
    main()

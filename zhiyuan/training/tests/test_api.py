"""/api/v1/training: quiz tampering through the API, attempts limit, scope of every object, the
eligibility check (constant queries, other scopes left out), the evidence upload."""

import datetime as dt

import pytest

from zhiyuan.training.models import Question
from zhiyuan.training.services import records
from zhiyuan.training.tests import factories as f

API = "/api/v1/training"


def as_user(client, u):
    client.force_login(u)
    return client


def test_quiz_through_the_api_ignores_posted_scores(client, county_manager, volunteer):
    c = f.online_course(county_manager)
    as_user(client, volunteer.user)
    r = client.post(f"{API}/courses/{c.pk}/attempts")
    assert r.status_code == 201
    body = r.json()
    assert all(set(q) == {"id", "text", "kind", "options"} for q in body["questions"])  # no answers leave
    wrong = {str(q["id"]): [(Question.objects.get(pk=q["id"]).answer[0] + 1) % 4] for q in body["questions"]}
    tampered = client.post(
        f"{API}/attempts/{body['id']}/submission",
        {"answers": wrong, "score": 100, "passed": True},
        content_type="application/json",
    )
    assert tampered.status_code == 422  # fields the schema does not name are refused, never read
    r = client.post(f"{API}/attempts/{body['id']}/submission", {"answers": wrong}, content_type="application/json")
    assert r.status_code == 200 and r.json()["score"] == 0 and not r.json()["passed"]
    second = client.post(f"{API}/courses/{c.pk}/attempts").json()
    right = {str(q["id"]): Question.objects.get(pk=q["id"]).answer for q in second["questions"]}
    done = client.post(f"{API}/attempts/{second['id']}/submission", {"answers": right}, content_type="application/json").json()
    assert done["passed"] and done["certificate_id"]
    cert = client.get(f"{API}/certificates/{done['certificate_id']}").json()
    assert cert["course_id"] == c.pk
    assert client.post(f"{API}/courses/{c.pk}/attempts").status_code == 409  # passed: no more attempts


def test_attempts_beyond_the_limit_through_the_api(client, county_manager, volunteer):
    c = f.online_course(county_manager)  # two attempts
    as_user(client, volunteer.user)
    for _ in range(2):
        a = client.post(f"{API}/courses/{c.pk}/attempts").json()
        client.post(f"{API}/attempts/{a['id']}/submission", {"answers": {}}, content_type="application/json")
    r = client.post(f"{API}/courses/{c.pk}/attempts")
    assert r.status_code == 409 and r.json()["code"] == "attempts_exhausted"


def test_other_scope_objects_are_404(client, county_manager, other_county_manager, volunteer):
    c = f.course(county_manager)
    s = f.session(county_manager, c)
    cert = records.record_create(
        actor=county_manager, volunteer=volunteer, course=c, source="import", completed_on=dt.date(2026, 1, 1)
    ).certificate
    as_user(client, other_county_manager)
    assert client.get(f"{API}/courses/{c.pk}").status_code == 404
    assert client.get(f"{API}/sessions/{s.pk}").status_code == 404
    assert client.get(f"{API}/certificates/{cert.pk}").status_code == 404
    r = client.post(f"{API}/sessions/{s.pk}/attendance", {"enrollment_id": 1, "present": True}, content_type="application/json")
    assert r.status_code == 404
    assert client.get(f"{API}/records").json()["items"] == []
    as_user(client, county_manager)
    assert [i["id"] for i in client.get(f"{API}/records").json()["items"]] == [cert.record_id]


def test_create_course_and_session_through_the_api(client, county_manager, other_county_manager):
    as_user(client, county_manager)
    r = client.post(
        f"{API}/courses",
        {"name": "岗前培训", "category": "emergency", "hours": 2, "region_code": "441302"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.json()
    cid = r.json()["id"]
    r = client.post(
        f"{API}/sessions",
        {
            "course_id": cid,
            "starts_at": "2099-01-01T09:00:00+08:00",
            "ends_at": "2099-01-01T12:00:00+08:00",
            "capacity": 30,
            "place": "江北",
        },
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["capacity"] == 30
    as_user(client, other_county_manager)
    r = client.post(
        f"{API}/courses",
        {"name": "越权", "category": "emergency", "hours": 2, "region_code": "441302"},
        content_type="application/json",
    )
    assert r.status_code == 403


@pytest.mark.parametrize("n", [1, 3])
def test_eligibility_endpoint_constant_queries_and_scope(
    client, county_manager, volunteer, huiyang_volunteer, minor_volunteer, n, django_assert_num_queries
):
    a = f.course(county_manager, name="甲")
    first_aid = f.qualification_type("first_aid")
    records.record_create(actor=county_manager, volunteer=volunteer, course=a, source="import", completed_on=dt.date(2026, 1, 1))
    ids = [volunteer.pk, minor_volunteer.pk, huiyang_volunteer.pk][:n]
    as_user(client, county_manager)
    payload = {
        "volunteer_ids": ids,
        "requirements": [{"course_id": a.pk}, {"qualification_type_id": first_aid.pk}],
        "on": "2026-06-01",
    }
    client.post(f"{API}/eligibility", payload, content_type="application/json")  # warm the session
    # session, user, roles, caller's volunteer row (role provider), scope, courses, types, certificates
    with django_assert_num_queries(8):
        r = client.post(f"{API}/eligibility", payload, content_type="application/json")
    items = {i["volunteer_id"]: i for i in r.json()["items"]}
    assert items[volunteer.pk]["reasons"] == ["未取得「急救员」资格"]
    assert huiyang_volunteer.pk not in items  # outside the 惠城 manager's scope
    bad = client.post(f"{API}/eligibility", {**payload, "requirements": [{"course_id": 10**9}]}, content_type="application/json")
    assert bad.status_code == 422


def test_evidence_upload_through_the_api(client, volunteer):
    as_user(client, volunteer.user)
    r = client.post(
        f"{API}/qualifications",
        {
            "evidence": f.evidence(),
            "qualification_type_id": f.qualification_type("psychological_aid").pk,
            "certificate_no": "XL-9",
            "issuer": "惠州市心理协会",
            "issued_on": "2025-01-01",
        },
    )
    assert r.status_code == 201 and r.json()["status"] == "pending"
    bad = client.post(
        f"{API}/qualifications",
        {
            "evidence": f.evidence(b"<html>", "x.html"),
            "qualification_type_id": f.qualification_type("psychological_aid").pk,
            "certificate_no": "XL-9",
            "issuer": "惠州市心理协会",
            "issued_on": "2025-01-01",
        },
    )
    assert bad.status_code == 422


def test_ids_beyond_a_bigint_are_refused_not_errors(client, volunteer, county_manager):
    huge = 2**64
    as_user(client, volunteer.user)
    assert client.post(f"{API}/sessions/{huge}/enrollment").status_code in (404, 422)
    assert client.post(f"{API}/courses/{huge}/attempts").status_code in (404, 422)
    assert client.post(f"{API}/attempts/{huge}/submission", {"answers": {}}, content_type="application/json").status_code in (
        404,
        422,
    )
    as_user(client, county_manager)
    r = client.post(
        f"{API}/eligibility",
        {"volunteer_ids": [huge], "requirements": [{"course_id": huge}], "on": "2026-01-01"},
        content_type="application/json",
    )
    assert r.status_code == 422

"""Issue 2, item 9: the demo data set — idempotent, real services, one working login per role."""

import datetime as dt

import pyotp
import pytest
from stdnum.cn import ric

from zhiyuan.accounts.models import RoleAssignment, User
from zhiyuan.accounts.roles import Role
from zhiyuan.accounts.scopes import actor_has_role
from zhiyuan.accounts.services import login_attempt, totp_verify
from zhiyuan.demo import data
from zhiyuan.volunteers.documents import document_unseal
from zhiyuan.volunteers.models import Volunteer

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    return data.seed(progress=lambda m: None, province_prefix="44")


def test_seed_creates_the_city_volunteers_with_valid_sealed_numbers(seeded):
    vols = Volunteer.objects.filter(region_code__startswith="4413")
    assert vols.count() == data.VOLUNTEER_COUNT
    assert vols.filter(region_code__startswith="441302").exists() and vols.filter(region_code__startswith="441303").exists()
    for v in vols[:50]:
        number = document_unseal(v.id_number_sealed)
        assert ric.calc_check_digit(number) == number[-1] and number not in v.id_number_masked


def test_seed_gives_every_manager_filter_someone_to_find(seeded):
    """The demo city has minors with a guardian's consent, party and league members, several
    education levels, skills and service categories, so each search filter shows results."""
    from zhiyuan.volunteers.models import GuardianConsent, VolunteerServiceCategory, VolunteerSkill

    vols = Volunteer.objects.filter(region_code__startswith="4413")
    minors = [v for v in vols if v.birth_date and (dt.date.today() - v.birth_date).days < 18 * 365]
    assert len(minors) == data.MINOR_COUNT
    assert GuardianConsent.objects.filter(volunteer__in=minors).count() == data.MINOR_COUNT
    assert {"01", "03", "13"} <= set(vols.values_list("political_status", flat=True))
    assert len(set(vols.values_list("education", flat=True)) - {""}) >= 4
    assert VolunteerSkill.objects.filter(volunteer__in=vols).values("code").distinct().count() >= 5
    assert VolunteerServiceCategory.objects.filter(volunteer__in=vols).values("code").distinct().count() >= 5
    assert vols.filter(availability__gt=0).count() == vols.count()


def test_seed_is_idempotent(seeded):
    from zhiyuan.volunteers.models import VolunteerSkill

    counts = {m: m.objects.count() for m in (User, Volunteer, RoleAssignment, VolunteerSkill)}
    profiles = sorted(Volunteer.objects.values_list("id", "political_status", "education", "availability"))
    again = data.seed(progress=lambda m: None, province_prefix="44")
    assert again["volunteers_created"] == 0
    assert counts == {m: m.objects.count() for m in (User, Volunteer, RoleAssignment, VolunteerSkill)}
    assert profiles == sorted(Volunteer.objects.values_list("id", "political_status", "education", "availability"))


@pytest.mark.parametrize("key", list(data.DEMO_LOGINS))
def test_every_demo_login_works_with_its_factor(seeded, rf, key):
    info = data.DEMO_LOGINS[key]
    request = rf.post("/accounts/login/", REMOTE_ADDR="127.0.0.1")
    user = login_attempt(request=request, mobile=info["mobile"], password=data.DEMO_PASSWORD)
    assert user.totp_enabled == info["totp"]
    if info["totp"]:
        totp_verify(user=user, code=pyotp.TOTP(data.DEMO_TOTP_SECRET).now())


def test_each_role_is_held_by_its_login(seeded):
    def user(key):
        return User.objects.get(mobile=data.DEMO_LOGINS[key]["mobile"])

    assert actor_has_role(user("platform_admin"), Role.PLATFORM_ADMIN)
    for key in ("city_manager", "county_manager", "county_manager_huiyang"):
        assert actor_has_role(user(key), Role.REGION_MANAGER)
    assert hasattr(user("volunteer"), "volunteer") and hasattr(user("org_admin"), "volunteer")
    assert not actor_has_role(user("volunteer"), Role.REGION_MANAGER)


def test_seed_publishes_the_privacy_notice_when_the_database_has_none():
    """A flushed database (``transactional_db``, live-server tests) lacks the notice that the data
    migration published; the seed publishes it through the audited service and can register."""
    from zhiyuan.core.models import AuditEntry
    from zhiyuan.volunteers.models import ConsentRecord, PrivacyNotice
    from zhiyuan.volunteers.texts import PRIVACY_NOTICE_V1_TITLE

    PrivacyNotice.objects.all().delete()
    data.seed(progress=lambda m: None, province_prefix="44")
    notice = PrivacyNotice.objects.get(is_current=True)
    assert notice.version == "1.0" and notice.title == PRIVACY_NOTICE_V1_TITLE
    assert AuditEntry.objects.filter(action="volunteer.privacy_notice_publish").count() == 1
    assert Volunteer.objects.filter(region_code__startswith="4413").count() == data.VOLUNTEER_COUNT
    assert ConsentRecord.objects.filter(kind=ConsentRecord.Kind.PRIVACY, notice=notice).exists()
    data.seed(progress=lambda m: None, province_prefix="44")  # idempotent: no second version
    assert PrivacyNotice.objects.count() == 1


def test_seed_publishes_a_new_current_version_when_none_is_current():
    from zhiyuan.volunteers.models import PrivacyNotice

    PrivacyNotice.objects.update(is_current=False)
    data.seed(progress=lambda m: None, province_prefix="44")
    current = PrivacyNotice.objects.get(is_current=True)
    assert current.version != "1.0" and PrivacyNotice.objects.count() == 2


def test_demo_nav_keys_are_registered_navigation_items():
    """The browser test checks these keys; a typo would make a ``nav_hidden`` check pass vacuously."""
    from zhiyuan.core.nav import nav_items

    registered = {item.key for item in nav_items()}
    for key, info in data.DEMO_LOGINS.items():
        assert set(info["nav"]) <= registered, (key, set(info["nav"]) - registered)
        assert set(info["nav_hidden"]) <= registered, (key, set(info["nav_hidden"]) - registered)
        assert not set(info["nav"]) & set(info["nav_hidden"]), key
    shown = {k for info in data.DEMO_LOGINS.values() for k in info["nav"]}
    assert registered - shown == set(data.NAV_ANONYMOUS), "every signed-in menu entry belongs to some demo role"


@pytest.mark.parametrize("key", list(data.DEMO_LOGINS))
def test_each_demo_role_gets_its_menu(seeded, rf, key):
    from zhiyuan.accounts.context_processors import navigation

    info = data.DEMO_LOGINS[key]
    request = rf.get("/")
    request.user = User.objects.get(mobile=info["mobile"])
    keys = {e["key"] for e in navigation(request)["nav"]}
    assert set(info["nav"]) <= keys and not set(info["nav_hidden"]) & keys


def test_run_py_restarts_skip_a_demo_seed_already_loaded(monkeypatch, settings):
    """Issue #11 item 2: a restart does not seed again (minutes on a large database); a new
    version of the demo data, or --again, does."""
    import io

    from django.core.management import call_command

    from zhiyuan.demo.management.commands import demo_seed

    settings.ZHIYUAN_DEMO = True
    calls = []
    real_seed = data.seed
    monkeypatch.setattr(data, "seed", lambda **kw: calls.append(kw) or real_seed(**kw))
    call_command("demo_seed", "--province", "44", "--quiet")
    out = io.StringIO()
    call_command("demo_seed", "--province", "44", stdout=out)
    assert len(calls) == 1 and "already loaded" in out.getvalue() and data.DEMO_PASSWORD in out.getvalue()
    call_command("demo_seed", "--province", "44", "--quiet", "--again")
    monkeypatch.setattr(demo_seed, "demo_digest", lambda province=None: "a newer version")
    call_command("demo_seed", "--province", "44", "--quiet")
    assert len(calls) == 3


def test_the_demo_has_shifts_that_took_place_with_hours_for_each_role(seeded, client):
    """Issue #10 item 9: past shifts with sign-ups, attendance (some flagged), confirmed hours
    for the demo volunteers, a confirmation queue for the organizer, ratings both ways, and
    notices that match the data — all through the real services."""
    from django.urls import reverse

    from zhiyuan.activities.evaluation_models import ActivityRating, VolunteerRating
    from zhiyuan.activities.models import Activity, Attendance, Enrollment, HoursState
    from zhiyuan.core.models import Notification
    from zhiyuan.records.models import HourEntry
    from zhiyuan.records.permissions import admin_org_ids

    def user(key):
        return User.objects.get(mobile=data.DEMO_LOGINS[key]["mobile"])

    volunteer, org_admin = user("volunteer"), user("org_admin")
    finished = Activity.objects.get(title="重阳节敬老探访")
    assert finished.status == "finished" and Enrollment.objects.filter(activity=finished).count() >= 5
    flags = {f for a in Attendance.objects.all() for f in a.flags}
    assert {"auto_closed", "manual", "offline", "late"} <= flags
    assert Attendance.objects.filter(hours_state=HoursState.PENDING).exists()
    for login in (volunteer, org_admin):
        assert HourEntry.objects.filter(volunteer=login.volunteer).count() >= 2
        assert ActivityRating.objects.filter(volunteer=login.volunteer).exists()
        assert VolunteerRating.objects.filter(volunteer=login.volunteer).exists()
    bodies = list(Notification.objects.filter(user=volunteer, kind="records.hours").values_list("body", flat=True))
    assert any(finished.title in b for b in bodies), bodies  # the hours notice names a real activity
    assert not Notification.objects.filter(body__contains="西湖").exists()

    client.force_login(volunteer)
    page = client.get(reverse("records:my_hours")).content.decode()
    assert "重阳节敬老探访" in page or "冬季送暖" in page
    client.force_login(org_admin)
    org_id = sorted(admin_org_ids(org_admin))[0]
    queue = client.get(reverse("records:org_queue", args=[org_id])).content.decode()
    pending = Attendance.objects.filter(organization_id=org_id, hours_state=HoursState.PENDING).select_related("volunteer")
    assert any(a.volunteer.name in queue for a in pending)

    counts = (Enrollment.objects.count(), Attendance.objects.count(), HourEntry.objects.count(), Notification.objects.count())
    data.seed(progress=lambda m: None, province_prefix="44")
    assert counts == (Enrollment.objects.count(), Attendance.objects.count(), HourEntry.objects.count(),
                      Notification.objects.count())  # fmt: skip

"""The demo data set (issue 2, item 9): the city of 惠州 (4413) with its real counties and towns,
organizations of each kind, service points, ~200 volunteers with generated but checksum-valid
ID numbers, and one login per role.

Everything is created through the real services, so demo data obeys the same rules (sealed
document numbers, consents, audit entries) as real data. ``seed()`` is idempotent: running it
again changes nothing. The logins are public knowledge — never run the demo seed on a
production database (``demo_seed`` refuses when ``DEBUG`` is off unless ``--force`` is given).
"""

import datetime as dt
import random

from django.db import transaction

from zhiyuan.accounts.roles import Role

DEMO_PASSWORD = "Zhiyuan@2026"
# Fixed base32 TOTP secret of the demo managers, so an authenticator app (or the browser tests)
# can produce their codes. Demo only.
DEMO_TOTP_SECRET = "ZHIYUANDEMOTOTPSECRETKEY"  # 120 bits (pyotp asks for at least 112)

CITY = "441300000000"  # 惠州市
HUICHENG = "441302000000"  # 惠城区
HUIYANG = "441303000000"  # 惠阳区

# Navigation keys (``data-nav``, registered with ``core.nav.register_nav`` in each app's
# ``apps.py``), grouped by who sees them.
NAV_SIGNED_IN = ["organizations_directory", "stations_public", "accounts.settings"]  # all users
NAV_SIGNED_IN += ["activities_square"]  # the activity square (everyone, signed in or not)
NAV_VOLUNTEER = ["volunteers.card", "volunteers.profile", "organizations.my", "training.my", "records_my"]
NAV_VOLUNTEER += ["activities.my_enrollments"]
NAV_ORG_ADMIN = ["organizations_admin", "records_org"]
NAV_STATION_ADMIN = ["my_station"]
# Training management: region managers, platform admins and organization admins (their own courses)
NAV_TRAINING_MANAGE = ["training.manage"]
NAV_API = ["accounts.tokens"]  # managers, organization and station admins: not volunteers
NAV_INSURANCE = ["insurance"]  # managers and organization admins (FUN-4)
NAV_MANAGER = [  # region managers (their region) and platform admins (everything)
    "volunteers_manage",
    "organizations_manage",
    "stations",
    "regions",
    "regions_population",
    "accounts.roles",
    "accounts.help",
    "accounts.audit",  # ACC-3: a region manager reads their region's entries
    "exports",  # 我的导出: background exports (core/export_jobs.py)
]
NAV_PLATFORM_ADMIN: list[str] = []  # nothing beyond the managers' entries today
NAV_ANONYMOUS = ["volunteers.register"]  # only before login

# One login per role. ``nav``/``nav_hidden`` are the navigation keys each role must and must
# not see; the browser tests check them (e2e/test_roles_navigation.py).
_MANAGER_HIDDEN = NAV_VOLUNTEER + NAV_ORG_ADMIN + NAV_STATION_ADMIN + NAV_ANONYMOUS
DEMO_LOGINS = {
    "platform_admin": {
        "mobile": "13900001001",
        "name": "平台管理员",
        "title": "平台管理员",
        "totp": True,
        "nav": NAV_SIGNED_IN + NAV_MANAGER + NAV_API + NAV_PLATFORM_ADMIN + NAV_INSURANCE + NAV_TRAINING_MANAGE,
        "nav_hidden": _MANAGER_HIDDEN,
    },
    "city_manager": {
        "mobile": "13900001002",
        "name": "惠州市文明办",
        "title": "区域管理员（惠州市）",
        "totp": True,
        "nav": NAV_SIGNED_IN + NAV_MANAGER + NAV_API + NAV_INSURANCE + NAV_TRAINING_MANAGE,
        "nav_hidden": _MANAGER_HIDDEN + NAV_PLATFORM_ADMIN,
    },
    "county_manager": {
        "mobile": "13900001003",
        "name": "惠城区文明办",
        "title": "区域管理员（惠城区）",
        "totp": True,
        "nav": NAV_SIGNED_IN + NAV_MANAGER + NAV_API + NAV_INSURANCE + NAV_TRAINING_MANAGE,
        "nav_hidden": _MANAGER_HIDDEN + NAV_PLATFORM_ADMIN,
    },
    "county_manager_huiyang": {
        "mobile": "13900001004",
        "name": "惠阳区文明办",
        "title": "区域管理员（惠阳区）",
        "totp": True,
        "nav": NAV_SIGNED_IN + NAV_MANAGER + NAV_API + NAV_INSURANCE + NAV_TRAINING_MANAGE,
        "nav_hidden": _MANAGER_HIDDEN + NAV_PLATFORM_ADMIN,
    },
    "org_admin": {  # a registered volunteer who administers an organization
        "mobile": "13900001005",
        "name": "李组织",
        "title": "组织管理员",
        "totp": False,
        "nav": NAV_SIGNED_IN + NAV_VOLUNTEER + NAV_ORG_ADMIN + NAV_API + NAV_INSURANCE + NAV_TRAINING_MANAGE,
        "nav_hidden": NAV_MANAGER + NAV_PLATFORM_ADMIN + NAV_STATION_ADMIN + NAV_ANONYMOUS,
    },
    "station_admin": {  # station staff, not a registered volunteer
        "mobile": "13900001006",
        "name": "黄站长",
        "title": "站点管理员",
        "totp": False,
        "nav": NAV_SIGNED_IN + NAV_STATION_ADMIN + NAV_API,
        "nav_hidden": NAV_MANAGER
        + NAV_PLATFORM_ADMIN
        + NAV_VOLUNTEER
        + NAV_ORG_ADMIN
        + NAV_ANONYMOUS
        + NAV_INSURANCE
        + NAV_TRAINING_MANAGE,
    },
    "volunteer": {
        "mobile": "13900001007",
        "name": "陈志愿",
        "title": "志愿者",
        "totp": False,
        "nav": NAV_SIGNED_IN + NAV_VOLUNTEER,
        "nav_hidden": NAV_MANAGER
        + NAV_API
        + NAV_PLATFORM_ADMIN
        + NAV_ORG_ADMIN
        + NAV_STATION_ADMIN
        + NAV_ANONYMOUS
        + NAV_INSURANCE
        + NAV_TRAINING_MANAGE,
    },
}
# Projects and activity management (ACT-1, ACT-2): managers and organization admins.
NAV_PROJECTS = ["projects", "activities_manage"]
for _key in ("platform_admin", "city_manager", "county_manager", "county_manager_huiyang", "org_admin"):
    DEMO_LOGINS[_key]["nav"] = DEMO_LOGINS[_key]["nav"] + NAV_PROJECTS
for _key in ("station_admin", "volunteer"):
    DEMO_LOGINS[_key]["nav_hidden"] = DEMO_LOGINS[_key]["nav_hidden"] + NAV_PROJECTS

VOLUNTEER_COUNT = 200
MINOR_COUNT = 6  # of VOLUNTEER_COUNT: 15-17-year-olds registered with a guardian's consent (VOL-5)
SEED = 4413

# Profile shares for the demo people, so that every manager filter finds someone. Round numbers
# in line with published volunteer profiles (the same sources as bench/realism.py).
_POLITICAL_YOUNG = {"03": 45, "01": 3, "13": 52}  # age <= 28: 共青团员 common, 13 群众
_POLITICAL_ADULT = {"01": 14, "02": 1, "03": 1, "04": 1, "12": 1, "13": 82}
_EDUCATION = {"10": 6, "20": 30, "30": 24, "60": 22, "70": 14, "80": 4}
_SKILL_SHARE = 0.45  # of adults name one to three skills
_CATEGORY_SHARE = 0.7  # of everyone choose one to three service categories

_SURNAMES = "陈李黄张梁林刘吴罗杨周郑何王钟曾谢叶邓冯蔡赖许朱卢苏潘徐赵胡郭古"
_GIVEN = "伟强磊军洋勇杰涛明超辉健浩宇俊鹏峰文博芳娜敏静丽婷雪慧颖琳欣怡晓燕玲萍佳梓涵诗雨思嘉悦晨安乐"


def _person(rng: random.Random) -> tuple[str, dt.date, bool]:
    name = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2, 2))))
    age = rng.choices([rng.randint(18, 22), rng.randint(23, 35), rng.randint(36, 59), rng.randint(60, 75)], [25, 35, 28, 12])[0]
    today = dt.date.today()
    birth = dt.date(today.year - age - 1, 1, 1) + dt.timedelta(days=rng.randrange(365))
    return name, birth, rng.random() < 0.45


def _ensure_user(key: str):
    from zhiyuan.accounts.models import User

    info = DEMO_LOGINS[key]
    user = User.objects.filter(mobile=info["mobile"]).first()
    if user is None:
        user = User.objects.create_user(info["mobile"], DEMO_PASSWORD, display_name=info["name"])
    return user


def _ensure_totp(user) -> None:
    """Managers must have a second factor; the demo ones share a published secret."""
    from zhiyuan.accounts.services import TOTP_PURPOSE
    from zhiyuan.core.crypto import seal

    if not user.totp_enabled:
        user.totp_secret_sealed = seal(DEMO_TOTP_SECRET, purpose=TOTP_PURPOSE)
        user.totp_enabled = True
        user.save(update_fields=["totp_secret_sealed", "totp_enabled"])


def _ensure_role(*, actor, user, role: str, region_code: str = "", object_id=None) -> None:
    from zhiyuan.accounts.models import RoleAssignment
    from zhiyuan.accounts.services import role_assignment_add, role_grant

    existing = RoleAssignment.objects.filter(user=user, role=role, active=True)
    if role == Role.REGION_MANAGER:
        existing = existing.filter(region_code=region_code)
    if object_id is not None:
        existing = existing.filter(object_id=object_id)
    if existing.exists():
        return
    if actor is None:  # the first platform admin is bootstrapped, as createsuperuser would
        role_assignment_add(user=user, role=role)
        return
    role_grant(actor=actor, user=user, role=role, region_code=region_code, object_id=object_id)


def _ensure_privacy_notice(admin) -> None:
    """Registration needs a current privacy notice (VOL-6). A data migration publishes the
    first version, but a flushed database (e.g. a ``transactional_db`` test) has none: publish
    that same first version through the real service, audited, as the platform admin would.
    The oath (VOL-7) is a fixed text in code, so it needs nothing here."""
    from zhiyuan.volunteers.models import PrivacyNotice
    from zhiyuan.volunteers.selectors import privacy_notice_current
    from zhiyuan.volunteers.services import privacy_notice_publish
    from zhiyuan.volunteers.texts import PRIVACY_NOTICE_V1, PRIVACY_NOTICE_V1_TITLE

    if privacy_notice_current() is not None:
        return
    version = "1.0"
    if PrivacyNotice.objects.filter(version=version).exists():  # versions exist, none current
        version = f"1.0-demo-{PrivacyNotice.objects.count() + 1}"
    privacy_notice_publish(actor=admin, version=version, title=PRIVACY_NOTICE_V1_TITLE, body=PRIVACY_NOTICE_V1)


def _towns(prefix: str) -> list[str]:
    from zhiyuan.regions.models import Region

    return list(Region.objects.filter(code__startswith=prefix, level=4).order_by("code").values_list("code", flat=True))


def _register_named(key: str, *, region_code: str, address: str, birth: dt.date, sequence: int):
    """A demo login who is also a registered volunteer (self-registration with a password)."""
    from zhiyuan.accounts.models import User
    from zhiyuan.volunteers.idcards import generate_resident_id
    from zhiyuan.volunteers.models import Volunteer
    from zhiyuan.volunteers.services import RegistrationInput, volunteer_register

    info = DEMO_LOGINS[key]
    existing = Volunteer.objects.filter(user__mobile=info["mobile"]).first()
    if existing:
        return existing
    data = {
        "name": info["name"],
        "id_type": "111",
        "id_number": generate_resident_id(address, birth, sequence),
        "region_code": region_code,
        "mobile": info["mobile"],
        "password": DEMO_PASSWORD,
        "accept_privacy": True,
        "accept_oath": True,
    }
    user = User.objects.filter(mobile=info["mobile"]).first()
    if user is not None:  # the login exists already (e.g. created before it registered)
        data.pop("mobile")
        data.pop("password")
        return volunteer_register(actor=user, user=user, registration=RegistrationInput(**data))
    return volunteer_register(actor=None, registration=RegistrationInput(**data))


def _bulk_volunteers(*, actor, towns: list[str], count: int) -> int:
    """``count`` generated volunteers across the towns of 惠州 (import mode: no password).

    The generator is seeded, so a second run produces the same people, whom the registration
    rejects as duplicates (blind index): the seed stays idempotent."""
    from zhiyuan.volunteers.idcards import generate_resident_id
    from zhiyuan.volunteers.services import RegistrationInput, volunteer_register_many

    rng = random.Random(SEED)
    rows = []
    for i in range(count):
        name, birth, male = _person(rng)
        town = towns[i % len(towns)] if rng.random() < 0.5 else rng.choice(towns)
        sequence = (i * 2 + (1 if male else 0)) % 1000
        rows.append(
            RegistrationInput(
                name=name,
                id_type="111",
                id_number=generate_resident_id(town[:6], birth, sequence),
                region_code=town,
                mobile=f"136{13000000 + i:08d}",
            )
        )
    results = volunteer_register_many(actor=actor, rows=rows)
    return sum(1 for r in results if r.ok)


def _bulk_minors(*, actor, towns: list[str], count: int) -> int:
    """``count`` 15-17-year-olds, each with a parent's recorded consent (VOL-5)."""
    from zhiyuan.volunteers.idcards import generate_resident_id
    from zhiyuan.volunteers.services import RegistrationInput, volunteer_register_many

    rng = random.Random(SEED + 1)  # its own stream: the adults stay the same people
    today = dt.date.today()
    rows = []
    for i in range(count):
        name, _birth, male = _person(rng)
        birth = today - dt.timedelta(days=rng.randint(15 * 366, 17 * 365 + 300))  # 15-17 years old
        town = rng.choice(towns)
        rows.append(
            RegistrationInput(
                name=name,
                id_type="111",
                id_number=generate_resident_id(town[:6], birth, (700 + i * 2 + (1 if male else 0)) % 1000),
                region_code=town,
                mobile=f"136{14000000 + i:08d}",
                guardian_name=name[0] + rng.choice(_GIVEN) + rng.choice(_GIVEN),
                guardian_relation=rng.choice(["father", "mother"]),
                guardian_mobile=f"137{14000000 + i:08d}",
                guardian_consent=True,
            )
        )
    results = volunteer_register_many(actor=actor, rows=rows)
    return sum(1 for r in results if r.ok)


def _weighted(rng: random.Random, table: dict[str, int]) -> str:
    return rng.choices(list(table), list(table.values()))[0]


def _enrich_profiles(volunteers) -> int:
    """Fill political status, education, skills, service categories and availability for the
    demo people who have none yet, through the same service a volunteer uses to edit their
    profile. Seeded by volunteer number, so a re-run changes nothing."""
    from zhiyuan.volunteers import codes
    from zhiyuan.volunteers.availability import ALL_KEYS
    from zhiyuan.volunteers.services.profile import ProfileChange, volunteer_update_profile

    skills = [c for c, _l in codes.Skill.choices]
    categories = [c for c, _l in codes.ServiceCategory.choices][:18]  # the 18 of seed 001
    today = dt.date.today()
    done = 0
    for v in volunteers:
        if v.political_status or v.education:
            continue
        rng = random.Random(f"{SEED}-{v.volunteer_no}")
        age = today.year - v.birth_date.year if v.birth_date else 30
        data = {
            "political_status": _weighted(rng, _POLITICAL_YOUNG if age <= 28 else _POLITICAL_ADULT),
            "education": _weighted(rng, _EDUCATION) if age >= 18 else codes.Education.HIGH_SCHOOL.value,
            "availability": rng.sample(ALL_KEYS, rng.randint(2, 6)),
        }
        if age >= 18 and rng.random() < _SKILL_SHARE:
            data["skills"] = rng.sample(skills, rng.randint(1, 3))
        if rng.random() < _CATEGORY_SHARE:
            data["service_categories"] = rng.sample(categories, rng.randint(1, 3))
        volunteer_update_profile(actor=v.user, change=ProfileChange(**data))
        done += 1
    return done


def _optional_seed(module: str, **kwargs):
    """Call ``<module>.seed(**kwargs)`` when that app is installed (organizations, stations)."""
    from importlib import import_module

    try:
        seeder = import_module(module)
    except ModuleNotFoundError as exc:
        if not module.startswith(str(exc.name)):
            raise  # a missing dependency inside the module, not an app that is absent
        return None
    return seeder.seed(**kwargs)


def seed(*, progress=print, province_prefix: str | None = None) -> dict:
    """Load the demo data set; returns counts. Safe to run any number of times.

    Regions: the whole shipped tree, or one province (``"44"``, for tests)."""
    from zhiyuan.regions.services import region_import_shipped
    from zhiyuan.volunteers.models import Volunteer

    progress("regions …")
    region_import_shipped(province_prefix=province_prefix)
    with transaction.atomic():
        admin = _ensure_user("platform_admin")
        _ensure_role(actor=None, user=admin, role=Role.PLATFORM_ADMIN)
        _ensure_totp(admin)
        _ensure_privacy_notice(admin)
        managers = {
            "city_manager": CITY,
            "county_manager": HUICHENG,
            "county_manager_huiyang": HUIYANG,
        }
        for key, code in managers.items():
            user = _ensure_user(key)
            _ensure_role(actor=admin, user=user, role=Role.REGION_MANAGER, region_code=code)
            _ensure_totp(user)

        progress("volunteers …")
        huicheng_towns = _towns("441302")
        volunteer = _register_named(
            "volunteer", region_code=huicheng_towns[0], address="441302", birth=dt.date(1995, 3, 12), sequence=517
        )
        org_admin_volunteer = _register_named(
            "org_admin", region_code=huicheng_towns[1], address="441302", birth=dt.date(1988, 9, 2), sequence=233
        )
        created = _bulk_volunteers(actor=admin, towns=_towns("4413"), count=VOLUNTEER_COUNT - 2 - MINOR_COUNT)
        created += _bulk_minors(actor=admin, towns=_towns("4413"), count=MINOR_COUNT)
        progress("volunteer profiles …")
        _enrich_profiles(Volunteer.objects.filter(region_code__startswith="4413").select_related("user").order_by("id"))
        station_admin = _ensure_user("station_admin")

    progress("organizations and service points …")
    city_volunteers = list(Volunteer.objects.filter(region_code__startswith="4413").order_by("id")[:VOLUNTEER_COUNT])
    orgs = _optional_seed(
        "zhiyuan.organizations.demo",
        org_admin_user=org_admin_volunteer.user,
        region_manager_user=_ensure_user("city_manager"),
        volunteers=[v for v in city_volunteers if v.pk not in (volunteer.pk, org_admin_volunteer.pk)] + [volunteer],
    )
    points = _optional_seed("zhiyuan.stations.demo", station_admin_user=station_admin)
    policies = _optional_seed("zhiyuan.insurance.demo", org_admin_user=org_admin_volunteer.user, region_manager_user=admin)
    progress("training …")
    training = _optional_seed(
        "zhiyuan.training.demo",
        manager_user=_ensure_user("county_manager"),
        volunteers=[v for v in city_volunteers if v.region_code.startswith("441302") and v.pk != volunteer.pk],
        applicant_volunteer=volunteer,
    )
    _optional_seed("zhiyuan.demo.train9", manager_user=_ensure_user("county_manager"))
    # issue 10, in the order a real activity goes: projects and activities, enrollments,
    # check-ins of past shifts, confirmed hours, then evaluations of what took place
    _optional_seed("zhiyuan.demo.projects", org_admin_user=org_admin_volunteer.user, reviewer_user=_ensure_user("city_manager"))
    # shifts that took place: sign-ups, check-ins and check-outs at their time (the demo logins
    # who volunteer first, so their 我的时长 has lines), then sign-ups for what is coming
    from zhiyuan.demo.attendance import seed_attendance

    others = [v for v in city_volunteers[:40] if v.pk not in (volunteer.pk, org_admin_volunteer.pk)]
    seed_attendance(org_admin_user=org_admin_volunteer.user, volunteers=[volunteer, org_admin_volunteer, *others],
                    progress=progress)  # fmt: skip
    _optional_seed(
        "zhiyuan.demo.enrollment", volunteers=[volunteer, *city_volunteers[:40]], org_admin_user=org_admin_volunteer.user
    )
    # confirm the hours of finished shifts, one honour grant (REC-1)
    hours = _optional_seed(
        "zhiyuan.demo.hours", org_admin_user=org_admin_volunteer.user, approver_user=_ensure_user("county_manager")
    )
    _optional_seed("zhiyuan.demo.square", first_users=[volunteer.user, org_admin_volunteer.user])  # ratings (ACT-6)
    _optional_seed("zhiyuan.demo.notify", volunteer_user=volunteer.user, manager_user=_ensure_user("city_manager"))
    return {
        "hours_confirmed": (hours or {}).get("confirmed", 0),
        "volunteers_created": created,
        "volunteers": Volunteer.objects.filter(region_code__startswith="4413").count(),
        "organizations": len(orgs or []),
        "service_points": len(points or []),
        "insurance_policies": len(policies or []),
        "training_courses": len(training or []),
    }

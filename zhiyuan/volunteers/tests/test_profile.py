"""Profile (VOL-4), availability, photo, numbers (VOL-3) and ages (VOL-5)."""

import datetime as dt
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given
from hypothesis import strategies as st

from zhiyuan.core.errors import DomainError
from zhiyuan.volunteers import availability, code_tables, numbers
from zhiyuan.volunteers import services as svc
from zhiyuan.volunteers.minors import age_on, today_shanghai
from zhiyuan.volunteers.models import Volunteer

# --- numbers (pure) ---------------------------------------------------------------------------


@given(st.integers(min_value=1, max_value=10**10 - 1))
def test_volunteer_number_has_a_valid_check_character(serial):
    no = numbers.volunteer_no_for(serial)
    assert len(no) == 11 and numbers.volunteer_no_is_valid(no) and numbers.serial_of(no) == serial


@given(
    st.integers(min_value=1, max_value=10**10 - 1), st.integers(min_value=0, max_value=9), st.integers(min_value=1, max_value=9)
)
def test_check_character_detects_any_single_digit_error(serial, pos, delta):
    no = numbers.volunteer_no_for(serial)
    wrong = str((int(no[pos]) + delta) % 10)
    assert not numbers.volunteer_no_is_valid(no[:pos] + wrong + no[pos + 1 :])


@given(st.integers(min_value=1, max_value=10**10 - 1), st.integers(min_value=0, max_value=8))
def test_check_character_detects_adjacent_transpositions(serial, pos):
    no = numbers.volunteer_no_for(serial)
    if no[pos] == no[pos + 1]:
        return
    swapped = no[:pos] + no[pos + 1] + no[pos] + no[pos + 2 :]
    assert not numbers.volunteer_no_is_valid(swapped)


@pytest.mark.parametrize("bad", ["", "123", "00000000011", "０００００００００１１", "0000000001x1", "A000000001X"])
def test_volunteer_number_validator_rejects_garbage(bad):
    assert not numbers.volunteer_no_is_valid(bad)


@pytest.mark.django_db
def test_allocator_skips_numbers_already_taken(volunteer):
    from django.db import transaction

    from zhiyuan.volunteers.models import VolunteerNumberCounter

    counter = VolunteerNumberCounter.objects.get(pk=1)
    taken = numbers.volunteer_no_for(counter.last_serial + 1)
    Volunteer.objects.filter(pk=volunteer.pk).update(volunteer_no=taken)  # e.g. written by an import
    with transaction.atomic():
        got = numbers.allocate_volunteer_numbers(3)
    assert taken not in got and len(set(got)) == 3
    assert all(numbers.volunteer_no_is_valid(n) for n in got)


def test_allocator_refuses_to_run_outside_a_transaction():
    with pytest.raises(RuntimeError):
        numbers.allocate_volunteer_numbers(1)


# --- ages -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (dt.date(2008, 3, 1), dt.date(2026, 2, 28), 17),
        (dt.date(2008, 3, 1), dt.date(2026, 3, 1), 18),
        (dt.date(2008, 2, 29), dt.date(2026, 2, 28), 17),
        (dt.date(2008, 2, 29), dt.date(2026, 3, 1), 18),
        (dt.date(2012, 6, 1), dt.date(2026, 5, 31), 13),
        (None, dt.date(2026, 1, 1), None),
    ],
)
def test_age_on(birth, on, age):
    assert age_on(birth, on) == age


def test_today_is_counted_in_asia_shanghai():
    # 2026-03-01 00:30 in Beijing is still 28 February in UTC
    now = dt.datetime(2026, 2, 28, 16, 30, tzinfo=dt.UTC)
    assert today_shanghai(now) == dt.date(2026, 3, 1)


# --- availability ---------------------------------------------------------------------------


@given(st.sets(st.sampled_from(availability.ALL_KEYS)))
def test_availability_round_trip(keys):
    mask = availability.mask_from_keys(keys)
    assert 0 <= mask <= availability.FULL_MASK
    assert set(availability.keys_from_mask(mask)) == keys


@pytest.mark.parametrize("bad", ["8-am", "0-pm", "1-night", "x", "1", "１-am"])
def test_availability_rejects_unknown_slots(bad):
    with pytest.raises(ValueError):
        availability.slot_bit(bad)


# --- profile service --------------------------------------------------------------------------


def _codes(table):
    return [c for c, _l in getattr(code_tables, f"{table}_choices")()]


@pytest.mark.django_db
def test_profile_update_and_matching_queries(volunteer):
    skill = _codes("skill")[0]
    category = _codes("service_category")[0]
    svc.volunteer_update_profile(
        actor=volunteer.user,
        change=svc.ProfileChange(
            political_status=_codes("political_status")[0],
            education=_codes("education")[0],
            ethnicity=_codes("ethnicity")[0],
            email="Chen@Example.com",
            region_code="441302002000",
            skills=[{"code": skill, "detail": "执业医师 <b>证</b>"}],
            service_categories=[category, category],
            availability=["6-am", "6-pm", "7-ev"],
        ),
    )
    v = Volunteer.objects.get(pk=volunteer.pk)
    assert v.political_status == _codes("political_status")[0]
    assert v.region_code == "441302002000"
    assert v.user.email == "chen@example.com"
    assert list(v.skills.values_list("code", "detail")) == [(skill, "执业医师 <b>证</b>")]
    assert list(v.service_categories.values_list("code", flat=True)) == [category]
    sat_morning = availability.mask_from_keys(["6-am"])
    assert Volunteer.objects.available_at(sat_morning).filter(pk=v.pk).exists()
    assert not Volunteer.objects.available_at(availability.mask_from_keys(["1-am"])).filter(pk=v.pk).exists()
    assert Volunteer.objects.with_skill(skill).filter(pk=v.pk).exists()
    # partial update leaves the rest alone
    svc.volunteer_update_profile(actor=volunteer.user, change=svc.ProfileChange(availability=[]))
    v.refresh_from_db()
    assert v.availability == 0 and v.skills.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"political_status": "99"}, "political_status"),
        ({"education": "<script>"}, "education"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a" * 10_000 + "@x.cn"}, "email"),
        ({"region_code": "441302000000"}, "region_code"),
        ({"region_code": "9" * 10_000}, "region_code"),
        ({"home_lat": "91", "home_lng": "114", "accept_location": True}, "home_location"),
        ({"home_lat": "abc", "home_lng": "114", "accept_location": True}, "home_location"),
        ({"skills": [{"code": "nonexistent"}]}, "skills"),
        ({"skills": [{"code": "__SKILL__", "detail": "x" * 10_000}]}, "skills"),
        ({"skills": "medical"}, "skills"),
        ({"service_categories": ["<b>"]}, "service_categories"),
        ({"availability": ["9-am"]}, "availability"),
        ({"availability": 1 << 22}, "availability"),
    ],
)
def test_profile_update_rejects_bad_input(volunteer, data, field):
    if "skills" in data and isinstance(data["skills"], list):
        data = {"skills": [{**s, "code": _codes("skill")[0] if s["code"] == "__SKILL__" else s["code"]} for s in data["skills"]]}
    with pytest.raises(DomainError) as e:
        svc.volunteer_update_profile(actor=volunteer.user, change=svc.ProfileChange(**data))
    assert e.value.fields.get(field)


@pytest.mark.django_db
def test_profile_cannot_change_name_or_document(volunteer):
    before = (volunteer.name, volunteer.id_number_sealed, volunteer.gender, volunteer.birth_date)
    with pytest.raises(TypeError):  # not part of a profile change: a correction request changes them
        svc.ProfileChange(name="别人", id_number_sealed="x", gender="2")
    svc.volunteer_update_profile(actor=volunteer.user, change=svc.ProfileChange(political_status="13"))
    volunteer.refresh_from_db()
    assert (volunteer.name, volunteer.id_number_sealed, volunteer.gender, volunteer.birth_date) == before


# --- photo ------------------------------------------------------------------------------------


def tiny_png(extra_chunks=b"") -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra_chunks + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def tiny_jpeg_with_exif() -> bytes:
    soi = b"\xff\xd8"
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    exif_payload = b"Exif\x00\x00GPS 23.1N 114.4E"
    app1 = b"\xff\xe1" + struct.pack(">H", len(exif_payload) + 2) + exif_payload
    sos = b"\xff\xda" + struct.pack(">H", 8) + b"\x01\x01\x00\x00\x3f\x00"
    return soi + app0 + app1 + sos + b"\x12\x34\x56" + b"\xff\xd9"


@pytest.mark.django_db
def test_photo_upload_png_strips_text_chunks(volunteer, settings, tmp_path):
    import struct as _s

    settings.MEDIA_ROOT = tmp_path
    text = b"Comment\x00secret location"
    text_chunk = _s.pack(">I", len(text)) + b"tEXt" + text + _s.pack(">I", zlib.crc32(b"tEXt" + text))
    upload = SimpleUploadedFile("me.png", tiny_png(text_chunk), content_type="image/png")
    svc.volunteer_set_photo(actor=volunteer.user, upload=upload)
    volunteer.refresh_from_db()
    stored = (tmp_path / volunteer.photo.name).read_bytes()
    assert stored.startswith(b"\x89PNG") and b"secret location" not in stored and b"IDAT" in stored
    assert "me.png" not in volunteer.photo.name


@pytest.mark.django_db
def test_photo_upload_jpeg_drops_exif(volunteer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    svc.volunteer_set_photo(actor=volunteer.user, upload=SimpleUploadedFile("a.jpg", tiny_jpeg_with_exif()))
    volunteer.refresh_from_db()
    stored = (tmp_path / volunteer.photo.name).read_bytes()
    assert b"GPS" not in stored and b"JFIF" in stored and stored.endswith(b"\xff\xd9")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content",
    [b"<svg onload=alert(1)></svg>", b"GIF89a....", b"\xff\xd8\xff" + b"\x00" * 20, b"x" * (2 * 1024 * 1024 + 1)],
)
def test_photo_upload_rejects_other_types_and_big_files(volunteer, settings, tmp_path, content):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(DomainError) as e:
        svc.volunteer_set_photo(actor=volunteer.user, upload=SimpleUploadedFile("x.jpg", content, content_type="image/jpeg"))
    assert e.value.fields["photo"]
    volunteer.refresh_from_db()
    assert not volunteer.photo


@pytest.mark.django_db
def test_replacing_a_photo_deletes_the_old_file(volunteer, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        svc.volunteer_set_photo(actor=volunteer.user, upload=SimpleUploadedFile("a.png", tiny_png()))
    volunteer.refresh_from_db()
    first = tmp_path / volunteer.photo.name
    with django_capture_on_commit_callbacks(execute=True):
        svc.volunteer_set_photo(actor=volunteer.user, upload=SimpleUploadedFile("b.png", tiny_png()))
    assert not first.exists()
    volunteer.refresh_from_db()
    assert (tmp_path / volunteer.photo.name).exists()

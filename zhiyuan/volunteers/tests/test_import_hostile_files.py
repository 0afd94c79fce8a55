"""No upload can stall a worker (issue #8): every hostile file of ``hostile_xlsx`` is refused at
upload, within a second of work and with a message, before a job exists; a real file is read
by the rows it really holds."""

import io
import time

import pytest

from zhiyuan.core.errors import DomainError
from zhiyuan.volunteers import imports
from zhiyuan.volunteers.models import ImportJob
from zhiyuan.volunteers.services import import_jobs as svc
from zhiyuan.volunteers.tests import hostile_xlsx
from zhiyuan.volunteers.tests.test_import_jobs import _Upload

pytestmark = pytest.mark.django_db
# One second of work on an idle machine; the test machines are shared, so the bound is looser.
SECONDS = 3.0
HOSTILE = ["far_row", "empty_rows", "unterminated_row", "wide_cell", "outside_dimension", "string_bomb"]


@pytest.fixture(autouse=True)
def private_dir(settings, tmp_path):
    settings.ZHIYUAN_PRIVATE_DIR = tmp_path / "private"
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "private" / "tmp")


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_upload_is_refused_at_once_with_a_message(county_manager, name):
    body = hostile_xlsx.ALL[name]()
    t0 = time.perf_counter()
    with pytest.raises(DomainError) as exc:
        svc.import_job_submit(actor=county_manager, upload=_Upload(body), mode=imports.DRY_RUN)
    elapsed = time.perf_counter() - t0
    assert elapsed < SECONDS, f"{name}: {elapsed:.2f} s"
    assert "文件结构异常" in exc.value.fields["file"][0]
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_file_read_in_memory_is_a_file_error(name):
    t0 = time.perf_counter()
    parsed = imports.import_parse(io.BytesIO(hostile_xlsx.ALL[name]()))
    assert time.perf_counter() - t0 < SECONDS
    assert parsed.file_errors and "文件结构异常" in parsed.file_errors[0] and not parsed.rows


def test_a_row_far_down_inside_the_grid_is_one_row_not_a_million(county_manager):
    """Before: openpyxl's iter_rows stepped through 999,999 empty rows to reach it."""
    t0 = time.perf_counter()
    with imports.Sheet(io.BytesIO(hostile_xlsx.far_but_real_row())) as sheet:
        assert sheet.rows_upper_bound() == 1
        rows = list(sheet.rows())
    assert time.perf_counter() - t0 < SECONDS
    assert [(r.row, r.data["name"]) for r in rows] == [(1_000_000, "张三")]


def test_the_bounds_are_settings(settings, county_manager):
    from bench.import_bench import make_rows, write_xlsx

    body = write_xlsx(make_rows(3000, towns=["441302001000"]))
    assert imports.import_parse(io.BytesIO(body)).rows
    settings.ZHIYUAN_IMPORT_MAX_RATIO = 2  # the real sheet inflates ~10 times
    assert "文件结构异常" in imports.import_parse(io.BytesIO(body)).file_errors[0]
    settings.ZHIYUAN_IMPORT_MAX_RATIO = 100
    settings.ZHIYUAN_IMPORT_MAX_PART_MB = 0
    assert "文件结构异常" in imports.import_parse(io.BytesIO(body)).file_errors[0]

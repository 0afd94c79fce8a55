"""Benchmark 3: the volunteers bulk import (VOL-10) — rows per second.

    python -m bench.run import --db sqlite|postgres [--rows 100000] [--seed 1] [--json PATH]

A fresh database ``zy_bench_import`` (var/bench/zy_bench_import.sqlite3 or PostgreSQL) is
migrated and given the regions of 广东省 and one platform admin. An .xlsx file in the import
template's layout is generated with ``--rows`` adults: checksum-valid GB 11643 resident IDs
(``idcards.generate_resident_id``; 惠州 county address codes, unique birth date + sequence),
unique mobiles, residence towns of 惠州市. Then, timed separately:

1. ``parse`` — ``imports.import_parse`` reads the workbook (openpyxl, read-only);
2. ``import`` — ``imports.import_volunteers(dry_run=False)``: the duplicate check over the file,
   then ``volunteer_register_many`` per 5,000-row chunk (validation with the registration
   rules, blind-index and mobile look-ups, AES-GCM sealing, bulk inserts of users, volunteers,
   consents and status entries), all in one transaction, plus the audit entries.

rows/s = rows ÷ (parse + import). Writing the file is reported but not counted. The result
JSON goes to bench/results/import-<vendor>-<rows>-<time>.json.
"""

import datetime as dt
import io
import random
import sys
import time

from bench import dbs

COUNTIES = ("441302", "441303", "441322", "441323", "441324")  # 惠城 惠阳 博罗 惠东 龙门


def make_rows(n: int, *, seed: int = 1, towns: list[str]) -> list[list]:
    """``n`` template rows of distinct adults (born 1950–1999); deterministic for a seed."""
    from zhiyuan.volunteers.idcards import generate_resident_id

    rng = random.Random(seed)
    rows = []
    base = dt.date(1950, 1, 1)
    surnames = "陈李张黄王林刘吴何罗梁郑谢钟"
    given = "志伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"
    for i in range(n):
        # birth day and sequence together make each number unique: 1000 sequences per day, and
        # k -> 97k mod 18000 is one-to-one, so up to 1.8e7 rows get distinct days in 1950-1999
        birth = base + dt.timedelta(days=(i // 1000) * 97 % 18000)
        number = generate_resident_id(rng.choice(COUNTIES), birth, i % 1000)
        name = rng.choice(surnames) + "".join(rng.choice(given) for _ in range(rng.choice((1, 2))))
        rows.append([name, "111", number, "", "", rng.choice(towns), f"158{i:08d}", ""])
    return rows


def write_xlsx(rows: list[list], *, shared_strings: bool = False) -> bytes:
    """The rows under the template's header. openpyxl writes every text as an inline string;
    ``shared_strings=True`` writes what Excel and WPS write instead — a shared-strings table
    and a ``<dimension>`` — with a small writer of its own (openpyxl cannot)."""
    from zhiyuan.volunteers import imports

    header = [f"{h}*" if req else str(h) for _k, h, req in imports.COLUMNS[:8]]
    if shared_strings:
        return _write_shared_strings_xlsx(imports.SHEET_TITLE, [header, *rows])
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(imports.SHEET_TITLE)
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def _write_shared_strings_xlsx(title: str, rows: list[list]) -> bytes:
    import zipfile
    from xml.sax.saxutils import escape

    strings: dict[str, int] = {}
    width = max(len(r) for r in rows)
    letters = [chr(ord("A") + i) for i in range(width)]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.sharedStrings+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
            f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{_NS}" xmlns:r="{_REL}"><sheets>'
            f'<sheet name="{escape(title)}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        )
        with z.open("xl/worksheets/sheet1.xml", "w") as out:
            out.write(f'<worksheet xmlns="{_NS}"><dimension ref="A1:{letters[-1]}{len(rows)}"/><sheetData>'.encode())
            for n, r in enumerate(rows, start=1):
                cells = []
                for letter, value in zip(letters, r, strict=False):
                    if value in (None, ""):
                        continue
                    index = strings.setdefault(str(value), len(strings))
                    cells.append(f'<c r="{letter}{n}" t="s"><v>{index}</v></c>')
                out.write(f'<row r="{n}">{"".join(cells)}</row>'.encode())
            out.write(b"</sheetData></worksheet>")
        with z.open("xl/sharedStrings.xml", "w") as out:
            out.write(f'<sst xmlns="{_NS}" uniqueCount="{len(strings)}">'.encode())
            for text in strings:
                out.write(f"<si><t>{escape(text)}</t></si>".encode())
            out.write(b"</sst>")
    return buf.getvalue()


def measure(*, actor, rows: int, seed: int = 1) -> dict:
    """Generate, parse and import ``rows`` rows into the configured database as ``actor``."""
    from zhiyuan.regions.models import Level, Region
    from zhiyuan.volunteers import imports
    from zhiyuan.volunteers.models import Volunteer

    towns = list(
        Region.objects.filter(code__startswith="4413", level=Level.TOWN, code__regex=r"^(441302|441303|441322|441323|441324)")
        .values_list("code", flat=True)
        .order_by("code")
    )
    if not towns:
        raise RuntimeError("no towns of 惠州市 in the database: load the regions first")
    t0 = time.perf_counter()
    body = write_xlsx(make_rows(rows, seed=seed, towns=towns))
    write_s = time.perf_counter() - t0
    before = Volunteer.objects.count()

    t0 = time.perf_counter()
    parsed = imports.import_parse(io.BytesIO(body), max_rows=rows)
    parse_s = time.perf_counter() - t0
    if parsed.file_errors:
        raise RuntimeError(f"the generated file was refused: {parsed.file_errors}")
    t0 = time.perf_counter()
    report = imports.import_volunteers(actor=actor, parsed=parsed, dry_run=False)
    import_s = time.perf_counter() - t0
    created = Volunteer.objects.count() - before
    if report.errors or report.file_errors or created != rows:
        raise RuntimeError(f"import incomplete: created {created} of {rows}; first errors {report.as_dict()['errors'][:5]}")
    total = parse_s + import_s
    return {
        "rows": rows,
        "file_bytes": len(body),
        "write_xlsx_seconds": round(write_s, 3),
        "parse_seconds": round(parse_s, 3),
        "import_seconds": round(import_s, 3),
        "total_seconds": round(total, 3),
        "rows_per_second": round(rows / max(total, 1e-9)),
        "import_rows_per_second": round(rows / max(import_s, 1e-9)),
        "parse_rows_per_second": round(rows / max(parse_s, 1e-9)),
        "created": created,
    }


def bench_import(args) -> dict:
    from bench.generate import migrate, setup_django
    from bench.machine import database_info, load_average, machine_info, now_iso
    from bench.run import write_result

    url = dbs.database_url(args.db, "import")
    dbs.recreate(url)
    setup_django(url)
    from django.db import connection

    print(f"import benchmark: {args.rows:,} rows into {connection.vendor} {connection.settings_dict['NAME']}", file=sys.stderr)
    migrate()
    from zhiyuan.accounts.models import RoleAssignment, User
    from zhiyuan.accounts.roles import Role
    from zhiyuan.regions.services import region_import_shipped

    region_import_shipped(province_prefix="44")
    admin = User.objects.create_user("13600000000", None, display_name="bench admin")
    RoleAssignment.objects.create(user=admin, role=Role.PLATFORM_ADMIN)
    load_before = load_average()
    figures = measure(actor=admin, rows=args.rows, seed=args.seed)
    print(
        f"\n{figures['rows']:,} rows ({figures['file_bytes'] / 1e6:.1f} MB xlsx): parse {figures['parse_seconds']:.1f} s, "
        f"validate+insert {figures['import_seconds']:.1f} s, total {figures['total_seconds']:.1f} s "
        f"-> {figures['rows_per_second']:,} rows/s (writing the file took {figures['write_xlsx_seconds']:.1f} s, not counted)"
    )
    body = {
        "benchmark": "import",
        "date": now_iso(),
        "machine": {**machine_info(), "load_average_before": load_before, "load_average_after": load_average()},
        "database": database_info(connection),
        "seed": args.seed,
        "results": figures,
    }
    write_result("import", connection.vendor, str(args.rows), body, args.json)
    return body


if __name__ == "__main__":  # pragma: no cover
    from bench.run import main

    main(["import", *sys.argv[1:]])

"""Summarize JSON results as Markdown lines for docs/benchmarks.md.

python -m bench.report bench/results/http-*.json bench/results/generate-*.json
"""

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path


def _http_cell(r: dict) -> str:
    return f"{r['rps']:,.0f} req/s, {r['median_ms']:.1f} / {r['p99_ms']:.1f} ms"


def http_lines(results: list[dict]) -> list[str]:
    by_db = defaultdict(list)
    for d in results:
        by_db[(d["database"]["vendor"], d["dataset"]["size"]["name"])].append(d)
    lines = []
    for (vendor, size), runs in sorted(by_db.items()):
        lines.append(f"{vendor}, {size}, {len(runs)} run(s):")
        for d in runs:
            ping, page = d["results"]["ping"], d["results"]["page"]
            ratio = d["ratios"]["page/ping"]["throughput"]
            load = d["machine"].get("load_average_before")
            lines.append(
                f"  {d['date']}  ping {_http_cell(ping)} | page {_http_cell(page)} | page/ping x{ratio}"
                f" | errors {ping['errors'] + page['errors']} | load before {load} | {d['client']['tool']}, {d['login']}"
            )
        med = {
            key: {m: statistics.median(d["results"][key][m] for d in runs) for m in ("rps", "median_ms", "p99_ms")}
            for key in ("ping", "page")
        }
        ratios = [d["ratios"]["page/ping"]["throughput"] for d in runs]
        lines.append(
            f"  medians: ping {_http_cell(med['ping'])}; page {_http_cell(med['page'])};"
            f" page/ping x{statistics.median(ratios):.3f} (range {min(ratios)}–{max(ratios)})"
        )
    return lines


def generate_lines(results: list[dict]) -> list[str]:
    lines = []
    for d in results:
        people = next((s for s in d["stages"] if s["stage"] == "people" and s["status"] == "done"), None)
        lines.append(
            f"{d['database']['vendor']} {d['size']['name']}: {d['rows']:,} rows in {d['seconds']:,.1f} s"
            f" ({d['rows_per_second']:,} rows/s); migrate {d['migrate_seconds']:.1f} s, ANALYZE {d['analyze_seconds']:.1f} s;"
            f" {d['date']}"
        )
        for label, n in d["tables"].items():
            lines.append(f"    {label}: {n:,}")
        if people:
            per = people["seconds"] / max(1, d["size"]["volunteers"]) * 1e6
            lines.append(f"    people stage {people['seconds']:,.1f} s = {per:,.0f} µs per volunteer")
    return lines


def main(argv=None) -> None:
    paths = [Path(p) for p in (sys.argv[1:] if argv is None else argv)]
    docs = [json.loads(p.read_text()) for p in paths]
    http = [d for d in docs if d.get("benchmark") == "http"]
    gen = [d for d in docs if d.get("benchmark") == "generate"]
    for line in generate_lines(gen) + http_lines(http):
        print(line)


if __name__ == "__main__":
    main()

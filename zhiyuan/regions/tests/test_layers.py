"""ARCHITECTURE "Layers": regions (layer 2) imports nothing above it — accounts registers the
region-scope resolver at start-up instead."""

import ast
from pathlib import Path

REGIONS = Path(__file__).resolve().parents[1]
ABOVE = ("zhiyuan.accounts", "zhiyuan.volunteers", "zhiyuan.organizations", "zhiyuan.stations", "zhiyuan.demo")


def test_regions_does_not_import_higher_apps():
    offenders = []
    for path in REGIONS.rglob("*.py"):
        if "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            offenders += [f"{path.name}: {n}" for n in names if n.startswith(ABOVE)]
    assert offenders == []


def test_the_region_scope_comes_from_the_registered_resolver(county_manager, platform_admin, plain_user):
    from zhiyuan.regions.permissions import actor_region_scope

    assert actor_region_scope(county_manager) == ["441302"]
    assert actor_region_scope(platform_admin) is None
    assert actor_region_scope(plain_user) == []
    assert actor_region_scope(None) == []

"""House rules that keep the layers honest, checked on every run."""

from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from doorpost.store.tables import metadata

SRC = Path(__file__).resolve().parents[1] / "src" / "doorpost"


_SCAN = """
import ast, json, sys
out = {}
for path in sys.argv[1:]:
    names, relative, prints = set(), False, False
    for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            relative = relative or node.level != 0
            names.add(node.module or "")
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
            prints = True
    out[path] = {"imports": sorted(names), "relative": relative, "print": prints}
print(json.dumps(out))
"""


@functools.lru_cache(maxsize=1)
def _scanned() -> dict[str, dict[str, Any]]:
    """Every module's imports (and print calls), parsed in an interpreter of its own.
    CPython 3.11 keeps the AST converter's recursion count in one interpreter-wide
    variable, so an `ast.parse` racing another thread's (the suite's servers and workers run
    beside the tests) can fail with "AST constructor recursion depth mismatch", on any
    thread; a separate process has no other thread."""
    files = [str(p) for p in sorted(SRC.rglob("*.py"))]
    done = subprocess.run([sys.executable, "-c", _SCAN, *files], capture_output=True,
                          text=True, check=True)
    found: dict[str, dict[str, Any]] = json.loads(done.stdout)
    return found


def _imports(path: Path) -> set[str]:
    scanned = _scanned()[str(path)]
    assert not scanned["relative"], f"{path}: relative import"
    return set(scanned["imports"])


def test_protocol_core_imports_only_stdlib_and_itself() -> None:
    forbidden = ("starlette", "sqlalchemy", "typer", "uvicorn", "alembic", "orjson", "httpx",
                 "doorpost.store", "doorpost.http", "doorpost.service", "doorpost.cli",
                 "doorpost.app", "doorpost.config")
    for path in (SRC / "scim").rglob("*.py"):
        bad = {n for n in _imports(path) if n.startswith(forbidden)}
        assert not bad, f"{path.relative_to(SRC)} imports {bad}"


def test_console_and_http_use_services_not_storage_details() -> None:
    for layer in ("console", "http"):
        for path in (SRC / layer).rglob("*.py"):
            uses = {n for n in _imports(path) if n.startswith(("sqlalchemy", "doorpost.store"))}
            assert uses <= {"doorpost.store.database"}, f"{path.relative_to(SRC)}: {uses}"


def test_store_speaks_no_protocol_and_keeps_no_clock() -> None:
    """The store says what it refused in its own terms (`store/errors.py`); services turn
    that into SCIM errors or console messages. It never reads the clock: use cases pass
    the instant down. And no module branches on a resource type's name: what differs is
    data (`ResourceType`'s relation, unique and defaults; `store/storage.py`)."""
    for path in (SRC / "store").rglob("*.py"):
        bad = {n for n in _imports(path) if n.startswith(("doorpost.scim.errors", "time",
                                                          "doorpost.service", "doorpost.http"))}
        assert not bad, f"{path.relative_to(SRC)} imports {bad}"
    branch = re.compile(r'rt\.name ==|rt is (USER|GROUP)_TYPE|name == "(User|Group)"')
    for path in SRC.rglob("*.py"):
        found = branch.search(path.read_text(encoding="utf-8"))
        assert found is None, f"{path.relative_to(SRC)}: {found.group(0)}"


def test_only_service_app_and_cli_reach_storage() -> None:
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith(("store/", "service/", "cli/")) or rel in ("app.py", "config.py"):
            continue
        uses = {n for n in _imports(path) if n.startswith("doorpost.store")}
        allowed = {"doorpost.store.database"} if rel.startswith("http/") else set()
        assert uses <= allowed, f"{rel} imports {uses - allowed}"


def test_every_table_leads_with_org_id() -> None:
    for table in metadata.tables.values():
        first = list(table.primary_key.columns)[0].name
        expected = "id" if table.name == "organizations" else "org_id"
        assert first == expected, table.name
        for index in table.indexes:
            assert list(index.columns)[0].name == "org_id", (table.name, index.name)


def test_no_print_in_src() -> None:
    for path in SRC.rglob("*.py"):
        assert not _scanned()[str(path)]["print"], f"print() in {path.relative_to(SRC)}"


def test_modules_stay_small() -> None:
    for path in SRC.rglob("*.py"):
        lines = len(path.read_text().splitlines())
        assert lines <= 600, f"{path.relative_to(SRC)} has {lines} lines"

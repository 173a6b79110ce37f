"""House rules that keep the layers honest, checked on every run."""

from __future__ import annotations

import ast
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from doorpost.store.tables import metadata

SRC = Path(__file__).resolve().parents[1] / "src" / "doorpost"


def _parse(path: Path) -> ast.Module:
    """`ast.parse` on a fresh thread: CPython 3.11's AST converter keeps a recursion-depth
    count per thread that an earlier RecursionError in the same thread (the suite's deeply
    nested fuzz inputs) can leave off, and then fails with "AST constructor recursion depth
    mismatch" (seen once in a full run). A new thread starts with a clean count."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(ast.parse, path.read_text()).result()


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(_parse(path)):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import"
            names.add(node.module or "")
    return names


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
        for node in ast.walk(_parse(path)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                raise AssertionError(f"print() in {path.relative_to(SRC)}")


def test_modules_stay_small() -> None:
    for path in SRC.rglob("*.py"):
        lines = len(path.read_text().splitlines())
        assert lines <= 600, f"{path.relative_to(SRC)} has {lines} lines"

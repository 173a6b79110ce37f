"""Operator mistakes get one clear line and exit status 1 from the real `doorpost` entry
point, never a traceback; and only `db upgrade` creates a database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def doorpost(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from doorpost.cli.main import main; main()",
                           *args], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=60)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("DOORPOST_")}
    out["DOORPOST_DATA_DIR"] = str(tmp_path / "data")
    return out


def one_clear_line(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and fragment in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_no_database_is_created_by_accident(env: dict[str, str], tmp_path: Path) -> None:
    one_clear_line(doorpost("org", "list", env=env, cwd=tmp_path), "doorpost db upgrade")
    assert not (tmp_path / "data" / "doorpost.sqlite3").exists()
    first = doorpost("db", "upgrade", env=env, cwd=tmp_path)
    assert first.returncode == 0 and "created" in first.stdout
    assert str(tmp_path / "data" / "doorpost.sqlite3") in first.stdout
    again = doorpost("db", "upgrade", env=env, cwd=tmp_path)
    assert "migrated" in again.stdout


def test_an_unmigrated_database_says_so(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "doorpost.sqlite3").write_bytes(b"")
    one_clear_line(doorpost("org", "list", env=env, cwd=tmp_path), "not been migrated")


def test_a_malformed_database_url(env: dict[str, str], tmp_path: Path) -> None:
    env["DOORPOST_DATABASE_URL"] = "not a url at all"
    one_clear_line(doorpost("org", "list", env=env, cwd=tmp_path), "DOORPOST_DATABASE_URL")


def test_a_missing_import_file(env: dict[str, str], tmp_path: Path) -> None:
    assert doorpost("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    assert doorpost("org", "create", "Acme", "--slug", "acme", env=env,
                    cwd=tmp_path).returncode == 0
    one_clear_line(doorpost("import", "users", "acme", str(tmp_path / "nope.jsonl"), env=env,
                            cwd=tmp_path), "nope.jsonl")

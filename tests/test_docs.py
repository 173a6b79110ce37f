"""Docs move with the code: every setting, CLI command and normalization rule is documented,
and ARCHITECTURE.md names every top-level package."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from doorpost.cli.main import app
from doorpost.config import ENVIRONMENT_VARIABLES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
ARCHITECTURE = (ROOT / "ARCHITECTURE.md").read_text()
SRC = ROOT / "src" / "doorpost"


def test_every_environment_variable_is_documented() -> None:
    for name in ENVIRONMENT_VARIABLES:
        assert f"`{name}`" in README, name


def _commands(group: object, prefix: str = "doorpost") -> list[str]:
    out = []
    for name, command in getattr(group, "commands", {}).items():
        full = f"{prefix} {name}"
        out += _commands(command, full) if getattr(command, "commands", None) else [full]
    return out


def test_every_cli_command_is_documented() -> None:
    commands = _commands(typer.main.get_command(app))
    assert len(commands) > 15
    for command in commands:
        words = command.split()
        documented = any(line.startswith(" ".join(words[:2])) and words[-1] in line
                         for line in README.splitlines())
        assert documented, command


def test_every_normalization_rule_is_documented() -> None:
    rules = set()
    for path in (SRC / "scim").rglob("*.py"):
        rules |= set(re.findall(r'Note\(\s*"([a-z-]+)"', path.read_text()))
        rules |= set(re.findall(r'self\.note\(\s*"([a-z-]+)"', path.read_text()))
    rules |= set(re.findall(r'Note\("([a-z-]+)"', (SRC / "service" / "scim.py").read_text()))
    assert len(rules) >= 15
    missing = sorted(r for r in rules if f"`{r}`" not in README)
    assert missing == []


def test_architecture_names_every_package() -> None:
    for package in sorted(p.name for p in SRC.iterdir() if p.is_dir() and p.name != "__pycache__"):
        assert f"{package}/" in ARCHITECTURE, package


def test_the_license_file_matches_pyproject() -> None:
    import tomllib
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]
    text = (ROOT / "LICENSE").read_text()
    assert declared == "Apache-2.0"
    assert "Apache License" in text and "Version 2.0, January 2004" in text

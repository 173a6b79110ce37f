"""Settings from the environment: wrong values are refused at start-up with the variable's
name, never read as something else."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from doorpost.config import ConfigError, Settings


@pytest.mark.parametrize("name, value", [
    ("DOORPOST_PUBLIC_URL", "doors.example.com"),
    ("DOORPOST_PUBLIC_URL", "https://doors.example.com/?x=1"),
    ("DOORPOST_RATE_LIMIT_ORG", "fast"),
    ("DOORPOST_RATE_LIMIT_ORG", "0/minute"),
    ("DOORPOST_RATE_LIMIT_BAD_TOKEN", "10"),
    ("DOORPOST_ACTIVITY_FLUSH_SECONDS", "-1"),
    ("DOORPOST_ACTIVITY_FLUSH_SECONDS", "soon"),
    ("DOORPOST_ACTIVITY_QUEUE_MAX", "0"),
])
def test_a_wrong_value_is_refused_by_name(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})


def test_the_public_url_is_the_base_of_every_printed_url() -> None:
    s = Settings.from_env({"DOORPOST_PUBLIC_URL": " https://doors.example.com/ ",
                           "DOORPOST_RATE_LIMIT_ORG": "100/second"})
    assert s.public_url == "https://doors.example.com"
    assert s.rate_limit_org == "100/second"


def test_the_cli_says_which_setting_is_wrong_in_one_line(tmp_path: Path) -> None:
    doorpost = Path(sys.executable).with_name("doorpost")
    r = subprocess.run([str(doorpost), "token", "list", "demo"], capture_output=True,
                       text=True, cwd=tmp_path,
                       env={"PATH": "/usr/bin:/bin", "DOORPOST_PUBLIC_URL": "doors"})
    assert r.returncode != 0
    assert "DOORPOST_PUBLIC_URL" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) <= 2

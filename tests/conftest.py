"""Shared test helpers: drive the CLI as a user does, in-process."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from nnsolve.cli import cli

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"
# problem files; answer sheets (-answers.yaml) and keys (.key.yaml) live beside them
PROBLEM_FILES = sorted(p for p in PROBLEMS.glob("*.yaml") if not p.name.endswith(("-answers.yaml", ".key.yaml")))


def invoke(*args: str, env: dict | None = None, input: str | None = None):
    """Run `nnsolve ARGS...` in-process (input: what is piped in); stdout and stderr are kept apart."""
    return CliRunner().invoke(cli, list(args), env=env, input=input, catch_exceptions=False)


def run_json(*args: str) -> dict:
    result = invoke("run", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def assert_usage_error(result, *fragments: str) -> str:
    """Exit status 2, one `nnsolve: error:` line on stderr with every fragment, nothing on stdout."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("nnsolve: error: "), lines[0]
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


@pytest.fixture
def write(tmp_path):
    """write(text, name='p.yaml') -> the path of a new file holding text."""

    def _write(text: str, name: str = "p.yaml") -> str:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    return _write


# shared by the reliability tests (test_extremes, test_atomic_files, test_untrusted_input, test_determinism)
def _no_nan(text: str):
    raise AssertionError(f"JSON holds {text}")


def strict_json(text: str):
    """JSON that holds no NaN or Infinity."""
    return json.loads(text, parse_constant=_no_nan)


def numbers_in(value) -> list[float]:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return []
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, dict):
        return [n for v in value.values() for n in numbers_in(v)]
    return [n for v in value for n in numbers_in(v)]


def leftovers(folder: Path) -> list[str]:
    """Temporary files or folders nnsolve left behind."""
    return sorted(p.name for p in Path(folder).rglob(".nnsolve*"))


# tests of what only POSIX has skip cleanly elsewhere: Windows has no geteuid, pipes or /dev/null,
# and its symbolic links need a privilege; root writes into read-only folders and reads chmod 000
needs_posix = pytest.mark.skipif(os.name != "posix", reason="links, pipes and devices as POSIX has them")
needs_permissions = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="file permissions that bind the user (not root, not Windows)"
)

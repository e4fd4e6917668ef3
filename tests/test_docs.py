"""The README is part of the product: every command is documented, and every example is real.

Each ```console block in README.md holds `$ nnsolve ...` lines, each followed by its output.
This test runs them and compares; NNSOLVE_UPDATE_SNAPSHOTS=1 rewrites the outputs instead.
"""

from __future__ import annotations

import os
import re
import shlex

import click
import pytest

from nnsolve.cli import cli
from conftest import ROOT, invoke

README = ROOT / "README.md"
BLOCK = re.compile(r"```console\n(.*?)```", re.S)


def run_readme_command(line: str) -> str:
    """The output a user sees for `$ nnsolve ...` (stdout and stderr, as on a terminal)."""
    args = shlex.split(line)
    assert args[0] == "nnsolve", line
    result = invoke(*args[1:])
    assert result.exit_code in (0, 1, 2), line
    return result.output


def render_block(body: str) -> str:
    out = []
    for line in body.splitlines():
        if line.startswith("$ "):
            out.append(line)
            out.extend(run_readme_command(line[2:]).rstrip("\n").splitlines())
    return "\n".join(out) + "\n"


def test_readme_examples_are_real_output(monkeypatch):
    monkeypatch.chdir(ROOT)
    text = README.read_text(encoding="utf-8")
    updated = BLOCK.sub(lambda m: "```console\n" + render_block(m.group(1)) + "```", text)
    if os.environ.get("NNSOLVE_UPDATE_SNAPSHOTS"):
        README.write_text(updated, encoding="utf-8")
    assert updated == text, "README output blocks are stale: NNSOLVE_UPDATE_SNAPSHOTS=1 make test"
    assert len(BLOCK.findall(text)) >= 4


def all_commands():
    return sorted(cli.list_commands(None))


def command(name):
    return cli.get_command(None, name)


@pytest.mark.parametrize("name", all_commands())
def test_every_command_is_documented(name):
    text = README.read_text(encoding="utf-8")
    assert f"### `nnsolve {name}" in text, f"README has no section for `nnsolve {name}`"
    assert f"$ nnsolve {name}" in text, f"README shows no real run of `nnsolve {name}`"


@pytest.mark.parametrize("name", all_commands())
def test_every_command_and_option_has_help(name):
    command_ = command(name)
    assert command_.help and len(command_.help.strip()) > 20
    for param in command_.params:
        if isinstance(param, click.Option):
            assert param.help, f"nnsolve {name} {param.opts[0]} has no --help text"
    result = invoke(name, "--help")
    assert result.exit_code == 0
    assert "Usage: nnsolve " + name in result.stdout


def test_top_level_help_lists_every_command():
    out = invoke("--help").stdout
    for name in all_commands():
        assert name in out

"""The docs are part of the product: every command is documented, and every example is real.

Each ```console block in README.md and docs/*.md holds `$ nnsolve ...` lines, each followed by
its output. This test runs them and compares, numbers within a relative 1e-9 (the last digits
of a float differ with the machine's BLAS kernel), everything else exactly;
NNSOLVE_UPDATE_SNAPSHOTS=1 rewrites the outputs instead.
"""

from __future__ import annotations

import math
import os
import re
import shlex

import click
import pytest

from nnsolve.cli import cli
from conftest import ROOT, invoke

README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README] + sorted(DOCS.glob("*.md"))
BLOCK = re.compile(r"```console\n(.*?)```", re.S)
NUMBER = re.compile(r"(-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def run_readme_command(line: str) -> str:
    """The output a user sees for `$ nnsolve ...` (stdout and stderr, as on a terminal)."""
    args = shlex.split(line)
    assert args[0] == "nnsolve", line
    piped = None
    cut = None
    if "|" in args:  # nnsolve ... | tail -n 3 (or head -n 3): a part of the output
        at = args.index("|")
        cut, args = args[at + 1:], args[:at]
        assert len(cut) == 3 and cut[0] in ("head", "tail") and cut[1] == "-n" and cut[2].isdigit(), line
    if "<" in args:  # nnsolve tutor < answers.txt: the file piped in
        at = args.index("<")
        piped, args = (ROOT / args[at + 1]).read_text(encoding="utf-8"), args[:at] + args[at + 2:]
    result = invoke(*args[1:], input=piped)
    assert result.exit_code in (0, 1, 2), line
    if cut is None:
        return result.output
    lines, n = result.stdout.splitlines(keepends=True), int(cut[2])  # what a pipe passes on: stdout
    return "".join(lines[:n] if cut[0] == "head" else lines[-n:])


def render_block(body: str) -> str:
    out = []
    for line in body.splitlines():
        if line.startswith("$ "):
            out.append(line)
            out.extend(run_readme_command(line[2:]).rstrip("\n").splitlines())
    return "\n".join(out) + "\n"


def same_text(shown: str, real: str, rel: float = 1e-9, abs_: float = 1e-12) -> bool:
    """The texts are equal but for numbers, which agree within rel (or abs near 0)."""
    a, b = NUMBER.split(shown), NUMBER.split(real)
    if len(a) != len(b):
        return False
    for k, (x, y) in enumerate(zip(a, b)):
        if x == y:
            continue
        if k % 2 == 0:  # text between numbers
            return False
        if not math.isclose(float(x), float(y), rel_tol=rel, abs_tol=abs_):
            return False
    return True


def test_the_comparison_allows_the_last_digits_and_nothing_else():
    assert same_text("loss 0.4296066942487413 at 3", "loss 0.4296066942487416 at 3")
    assert not same_text("loss 0.42960669 at 3", "loss 0.42960670 at 3")
    assert not same_text("loss 0.5 at 3", "loss 0.5 at 4")
    assert not same_text("loss 0.5 at 3", "cost 0.5 at 3")
    assert not same_text("[1, 2]", "[1, 2, 3]")


def refreshed(text: str, render=render_block) -> str:
    """text with each console block that is stale replaced by its real output; a block whose
    numbers differ only within the tolerance stays as shown, so that updating the snapshots on
    another machine does not rewrite the last digits of every float."""

    def block(m):
        real = render(m.group(1))
        return m.group(0) if same_text(m.group(1), real) else "```console\n" + real + "```"

    return BLOCK.sub(block, text)


def test_refreshing_keeps_a_block_within_the_tolerance_and_replaces_a_stale_one():
    real = {"$ nnsolve a\n": "$ nnsolve a\nloss 0.4296066942487416\n", "$ nnsolve b\n": "$ nnsolve b\nloss 2\n"}
    page = "x\n```console\n$ nnsolve a\nloss 0.4296066942487413\n```\n```console\n$ nnsolve b\nloss 1\n```\n"
    refreshed_page = refreshed(page, lambda body: real[body.splitlines(keepends=True)[0]])
    assert refreshed_page == "x\n```console\n$ nnsolve a\nloss 0.4296066942487413\n```\n```console\n$ nnsolve b\nloss 2\n```\n"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_examples_are_real_output(monkeypatch, page):
    monkeypatch.chdir(ROOT)
    text = page.read_text(encoding="utf-8")
    updated = refreshed(text)
    if os.environ.get("NNSOLVE_UPDATE_SNAPSHOTS") and updated != text:
        page.write_text(updated, encoding="utf-8")
        text = updated
    for block, output in zip(BLOCK.findall(text), BLOCK.findall(updated)):
        assert block == output, f"{page.name}: an example's output is stale: NNSOLVE_UPDATE_SNAPSHOTS=1 make test\n{output}"


def test_every_example_is_run():
    """Each page that shows a `$ nnsolve` line shows it in a console block, which the test runs."""
    count = 0
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        in_blocks = sum(block.count("\n$ nnsolve") + block.startswith("$ nnsolve") for block in BLOCK.findall(text))
        assert in_blocks == len(re.findall(r"^\$ nnsolve", text, re.M)), page.name
        count += in_blocks
    assert count >= 20


def test_readme_is_a_front_door():
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 200


def test_every_link_leads_to_a_file():
    for page in PAGES:
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            assert (page.parent / target).exists(), f"{page.name}: the link {target} leads nowhere"


def all_commands():
    return sorted(cli.list_commands(None))


def command(name):
    return cli.get_command(None, name)


@pytest.mark.parametrize("name", all_commands())
def test_every_command_is_documented(name):
    page = DOCS / f"{name}.md"
    assert page.exists(), f"docs/{name}.md is missing"
    text = page.read_text(encoding="utf-8")
    assert text.startswith(f"# `nnsolve {name}"), f"docs/{name}.md does not open with `nnsolve {name}`"
    assert f"$ nnsolve {name}" in text, f"docs/{name}.md shows no real run of `nnsolve {name}`"
    assert f"](docs/{name}.md)" in README.read_text(encoding="utf-8"), f"README does not link docs/{name}.md"


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


PYCON = re.compile(r"```pycon\n(.*?)```", re.S)


def test_the_api_pages_examples_run(monkeypatch):
    """docs/api.md: every ```pycon example is run (doctest), from the repository's root."""
    import doctest

    monkeypatch.chdir(ROOT)
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    blocks = PYCON.findall(text)
    assert len(blocks) >= 7
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    globs: dict = {}
    for n, block in enumerate(blocks):
        test = parser.get_doctest(block, globs, f"docs/api.md block {n + 1}", "docs/api.md", 0)
        result = runner.run(test, out=lambda s: pytest.fail(s), clear_globs=False)
        assert result.failed == 0
        globs = test.globs  # the next block goes on from this one, as the page reads


def test_every_public_name_is_documented_and_imports():
    import nnsolve

    text = (DOCS / "api.md").read_text(encoding="utf-8")
    assert set(nnsolve.__all__) == {"Gradient", "NnsolveError", "Problem", "Report", "Solution", "check", "load", "variants", "__version__"}
    for name in nnsolve.__all__:
        assert getattr(nnsolve, name) is not None
        if name != "__version__":
            assert f"`{name}" in text or f"`nnsolve.{name}" in text, name
    assert "api.md" in (ROOT / "README.md").read_text(encoding="utf-8")

"""Answer keys: Markdown and LaTeX output, -o/--force, and pdflatex on every problem file."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from conftest import PROBLEMS, PROBLEM_FILES, ROOT, assert_usage_error, invoke, needs_permissions, needs_posix

SNAPSHOTS = ROOT / "tests" / "snapshots"
WORKSHEET = str(PROBLEMS / "worksheet.yaml")


def snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("NNSOLVE_UPDATE_SNAPSHOTS"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed: NNSOLVE_UPDATE_SNAPSHOTS=1 make test"


def output(*args: str) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


# -- snapshots of the worksheet ------------------------------------------------------------


@pytest.mark.parametrize("fmt, ext", [("markdown", "md"), ("latex", "tex"), ("text", "txt")])
def test_worksheet_snapshots(fmt, ext):
    snapshot(f"run_worksheet.{fmt}.{ext}", output("run", WORKSHEET, "--format", fmt))
    snapshot(f"grad_W1_21.{fmt}.{ext}", output("grad", "W1[2,1]", WORKSHEET, "--format", fmt))


def test_answer_keys_in_problems_are_made_by_nnsolve():
    """problems/worksheet.key.md and .tex are nnsolve's own output (make keys rewrites them)."""
    assert (PROBLEMS / "worksheet.key.md").read_text(encoding="utf-8") == output("run", WORKSHEET, "--format", "markdown")
    assert (PROBLEMS / "worksheet.key.tex").read_text(encoding="utf-8") == output("run", WORKSHEET, "--format", "latex")


# -- Markdown ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PROBLEM_FILES, ids=lambda p: p.name)
def test_markdown_is_well_formed(path):
    text = output("run", str(path), "--format", "markdown")
    assert text.count("$$") % 2 == 0
    for line in text.splitlines():
        if line.startswith("|"):
            assert line.endswith("|")
        elif line not in ("$$",) and "$$" not in line:
            assert line.count("$") % 2 == 0, line  # inline math opens and closes on its line
    tables = re.findall(r"((?:^\|.*\|\n)+)", text, re.M)
    assert tables
    for table in tables:
        widths = {len(re.findall(r"(?<!\\)\|", row)) for row in table.splitlines()}
        assert len(widths) == 1, table


def test_markdown_grad_has_factor_table():
    text = output("grad", "W1[2,1]", "--format", "markdown")
    assert "| factor | formula | with the numbers | value |" in text
    assert r"$\beta^{1}_{1} (1 - \beta^{1}_{1} )$" in text
    assert "-0.23119511" in text and "1.46239022" in text


# -- LaTeX ---------------------------------------------------------------------------------


def test_latex_is_a_complete_document_or_a_fragment():
    full = output("run", "--format", "latex")
    assert full.startswith("\\documentclass") and "\\usepackage{amsmath}" in full and "\\usepackage{booktabs}" in full
    assert full.rstrip().endswith("\\end{document}")
    fragment = output("run", "--format", "latex", "--fragment")
    assert "\\documentclass" not in fragment and "\\begin{document}" not in fragment
    assert fragment in full


def test_latex_escapes_a_title(write):
    text = (PROBLEMS / "worksheet.yaml").read_text().replace("title: 1 Neural Network", "title: \"50% of x_1 & y #1 {ok} ~ α\"")
    out = output("run", write(text), "--format", "latex", "--fragment")
    assert "\\section*{50\\% of x\\_1 \\& y \\#1 \\{ok\\} \\~{} ?}" in out


def pdflatex() -> str:
    exe = shutil.which("pdflatex")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("pdflatex is missing in CI: .ci/run runs `make latex-deps` to install it")
        pytest.skip("pdflatex is not installed (make latex-deps)")
    return exe


def compile_latex(tmp_path, name: str, text: str) -> None:
    tex = tmp_path / f"{name}.tex"
    tex.write_text(text, encoding="utf-8")
    result = subprocess.run(
        [pdflatex(), "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", tex.name],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert (tmp_path / f"{name}.pdf").stat().st_size > 1000


@pytest.mark.parametrize("path", PROBLEM_FILES, ids=lambda p: p.name)
def test_latex_answer_key_compiles(tmp_path, path):
    compile_latex(tmp_path, "key", output("run", str(path), "--format", "latex"))


def test_latex_grad_compiles(tmp_path):
    compile_latex(tmp_path, "grad", output("grad", "W1[1,1]", str(PROBLEMS / "two_outputs.yaml"), "--format", "latex"))


# -- files ---------------------------------------------------------------------------------


def test_output_file_is_written_and_not_overwritten(tmp_path):
    target = tmp_path / "key.md"
    result = invoke("run", "--format", "markdown", "-o", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert result.stderr == f"nnsolve: wrote {target}\n"
    first = target.read_text(encoding="utf-8")
    assert first == output("run", "--format", "markdown")

    target.write_text("the instructor's own edits\n")
    result = invoke("run", "--format", "latex", "-o", str(target))
    assert_usage_error(result, str(target), "already exists", "--force")
    assert target.read_text() == "the instructor's own edits\n"

    assert invoke("run", "--format", "latex", "-o", str(target), "--force").exit_code == 0
    assert target.read_text(encoding="utf-8").startswith("\\documentclass")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key.md"]  # no temporary left behind


def test_output_text_and_json_to_a_file(tmp_path):
    text_file, json_file = tmp_path / "key.txt", tmp_path / "key.json"
    assert invoke("grad", "W2[1,1]", "-o", str(text_file)).exit_code == 0
    assert text_file.read_text(encoding="utf-8") == output("grad", "W2[1,1]")
    assert invoke("run", "--json", "-o", str(json_file)).exit_code == 0
    assert json_file.read_text(encoding="utf-8") == output("run", "--json")


def test_failed_run_writes_nothing(tmp_path, write):
    target = tmp_path / "key.md"
    bad = write("x: [1]\n")
    assert invoke("run", bad, "--format", "markdown", "-o", str(target)).exit_code == 2
    assert not target.exists()


def test_output_errors(tmp_path):
    (tmp_path / "f").write_text("", encoding="utf-8")
    assert_usage_error(invoke("run", "-o", str(tmp_path / "f" / "such" / "dir.md")), "is a file, not a folder")
    assert_usage_error(invoke("run", "-o", str(tmp_path)), "is a directory")
    assert_usage_error(invoke("run", "--fragment"), "--fragment is for --format latex")
    assert_usage_error(invoke("run", "--json", "--format", "markdown"), "two formats")
    assert_usage_error(invoke("run", "--force"), "--force is for -o FILE")
    assert_usage_error(invoke("run", "--format", "pdf"), "'pdf'")


@needs_posix
def test_links_and_devices_are_never_replaced(tmp_path):
    """-o /dev/null with --force once renamed a file over the device: never again."""
    import os as _os

    target = tmp_path / "real.md"
    target.write_text("keep\n")
    link = tmp_path / "link.md"
    link.symlink_to(target)
    assert_usage_error(invoke("run", "--format", "markdown", "-o", str(link), "--force"), "is a link, a device or a pipe")
    assert link.is_symlink() and target.read_text() == "keep\n"
    fifo = tmp_path / "pipe"
    _os.mkfifo(fifo)
    assert_usage_error(invoke("run", "-o", str(fifo), "--force"), "not a file")
    assert_usage_error(invoke("run", "-o", "/dev/null", "--force"), "not a file")
    assert _os.path.exists("/dev/null") and not _os.path.isfile("/dev/null")


@needs_permissions
def test_read_only_folder_leaves_no_file(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        assert_usage_error(invoke("run", "-o", str(folder / "key.md")), "cannot write")
    finally:
        folder.chmod(0o700)


def test_a_write_that_fails_half_way_keeps_the_old_file(tmp_path, monkeypatch):
    from nnsolve import files

    target = tmp_path / "key.md"
    target.write_text("old key\n")

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", broken_fsync)
    result = invoke("run", "--format", "markdown", "-o", str(target), "--force")
    assert_usage_error(result, "cannot write", "No space left on device")
    assert target.read_text() == "old key\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key.md"]


# -- html (issue 17) ---------------------------------------------------------------------------


def test_html_is_one_self_contained_page_with_mathml_and_the_network_as_svg(tmp_path):
    from conftest import invoke

    page = invoke("run", "--format", "html").stdout
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert page.count("<math") > 50 and "<mfrac>" in page and "<svg" in page and "prefers-color-scheme: dark" in page and "@media print" in page
    assert "<script" not in page and "src=" not in page and "href=" not in page  # nothing to run, nothing to fetch
    assert "0.38790175" in page and "W2[1,1]" not in page.split("<svg")[0]  # the network is drawn first
    grad = invoke("grad", "W2[1,1]", "--format", "html").stdout
    assert "<math" in grad and "<mn>0.04623902</mn>" in grad
    assert invoke("run", "--format", "html", "-o", str(tmp_path / "key.html")).exit_code == 0
    assert (tmp_path / "key.html").read_text(encoding="utf-8") == page

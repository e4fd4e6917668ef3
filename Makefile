# Two commands from a fresh clone: `make run` and `make test`. Each builds .venv as needed;
# `make plot` adds matplotlib, for pictures (draw --format svg|png, train --plot).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test plot test-kernels bench clean latex-deps browser-deps torch-deps keys

run: $(VENV)/.installed
	$(BIN)/nnsolve run problems/worksheet.yaml

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

# The numerical tests again on two other OpenBLAS kernels (AVX2 Haswell, AVX Sandybridge), so a
# test that holds only for this machine's kernel fails here, not on a user's machine. CI runs it.
# (No -q here: pyproject's addopts has one, and -qq would hide the "N passed in T s" line.)
NUMERICAL_TESTS := tests/test_network.py tests/test_train.py tests/test_stacked.py tests/test_check_stacked.py tests/test_docs.py \
                   tests/test_grad.py tests/test_steps.py tests/test_given.py tests/test_batch.py tests/test_conventions.py tests/test_optimizers.py
test-kernels: $(VENV)/.installed-test
	OPENBLAS_CORETYPE=Haswell $(BIN)/python -m pytest $(NUMERICAL_TESTS)
	OPENBLAS_CORETYPE=Sandybridge $(BIN)/python -m pytest $(NUMERICAL_TESTS)

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	touch $@

# compat: a plain path entry in site-packages, not an import hook that every start-up pays for
COMPAT := --config-settings editable_mode=compat

$(VENV)/.installed: $(VENV)/.created pyproject.toml
	$(BIN)/python -m pip install -q $(COMPAT) -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.created pyproject.toml
	$(BIN)/python -m pip install -q $(COMPAT) -e '.[test,plot]'
	touch $@ $(VENV)/.installed $(VENV)/.installed-plot

# matplotlib, for pictures: `nnsolve draw --format svg|png` and `nnsolve train --plot`
plot: $(VENV)/.installed-plot

$(VENV)/.installed-plot: $(VENV)/.created pyproject.toml
	$(BIN)/python -m pip install -q $(COMPAT) -e '.[plot]'
	touch $@ $(VENV)/.installed

# torch, for the comparisons with torch.optim (tests/test_optimizers.py) and the benchmarks':
# exactly 2.13.0, the CPU build on this machine's disk (its small dependencies come from the
# index). Never a bare `torch`, which would take a multi-GB GPU build. Not a test extra for that
# reason: CI runs this target; elsewhere the torch comparisons skip, saying so.
TORCH := torch==2.13.0
torch-deps: $(VENV)/.installed-test
	$(BIN)/python -m pip install -q $(TORCH)

# the benchmarks (BENCHMARKS.md); torch only for their comparisons
bench: $(VENV)/.installed-test
	$(BIN)/python -m pip install -q $(TORCH) || echo "$(TORCH) is not on this machine: its comparisons are skipped"
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info

# pdflatex for the LaTeX answer-key tests (Debian/Ubuntu; needs root). CI runs this first.
latex-deps:
	@command -v pdflatex >/dev/null 2>&1 || { \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			texlive-latex-base texlive-latex-recommended >/dev/null; }
	@pdflatex --version | head -n 1

# Chromium from the distribution's packages, for the --format html test (tests/test_browser.py
# skips, saying so, where there is none)
browser-deps:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
	@chromium --version 2>/dev/null || chromium-browser --version

# Rewrite the worksheet's answer keys in problems/ from nnsolve's own output (and its momentum and Adam versions';
# their answer sheets worksheet_*.key.yaml are tests/test_optimizer_cli.py's to check).
keys: $(VENV)/.installed
	$(BIN)/nnsolve run problems/worksheet.yaml --format markdown -o problems/worksheet.key.md --force
	$(BIN)/nnsolve run problems/worksheet.yaml --format latex -o problems/worksheet.key.tex --force
	$(BIN)/nnsolve run problems/worksheet_momentum.yaml --format markdown -o problems/worksheet_momentum.key.md --force
	$(BIN)/nnsolve run problems/worksheet_adam.yaml --format markdown -o problems/worksheet_adam.key.md --force

"""Start-up: whole-process time of nnsolve's quick commands against `python -c "import numpy"`.

Runs interleaved, in the same environment, after compiling nnsolve's bytecode (an installed
package has it; an editable checkout with PYTHONDONTWRITEBYTECODE=1 would not, and would pay
for compiling its sources on every start). The terminal case runs on a pseudo-terminal, in the same rounds as the others. The third-party
imports alone (numpy, click and yaml; and rich's console and tables) are timed in the same run:
they bound from below what nnsolve's own imports and work can bring the ratios to.
"""

from __future__ import annotations

import compileall
import os
import pty
import subprocess
import sys
import time

from harness import ROOT, Target, Timing, header, nnsolve_command, save

WORKSHEET = str(ROOT / "problems" / "worksheet.yaml")


def on_a_terminal(argv: list[str]) -> float:
    """Wall time of one run of argv with its stdout on a pseudo-terminal (rich tables, as a user sees)."""
    main, child = pty.openpty()
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=child, stderr=subprocess.DEVNULL, env={**os.environ, "COLUMNS": "120"})
    os.close(child)
    while True:  # drain, or a full pty buffer would block the child
        try:
            if not os.read(main, 65536):
                break
        except OSError:
            break
    status = process.wait()
    elapsed = time.perf_counter() - start
    os.close(main)
    if status != 0:
        raise subprocess.CalledProcessError(status, argv)
    return elapsed


def piped(argv: list[str]) -> float:
    """Wall time of one run of argv with its output discarded."""
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def interleaved(commands: dict[str, tuple], repeats: int, warmup: int = 2) -> dict[str, Timing]:
    """Each (runner, argv) once per round, round after round, so that load on a shared machine
    hits every command alike (the terminal case too)."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for round_ in range(warmup + repeats):
        for name, (runner, argv) in commands.items():
            elapsed = runner(argv)
            if round_ >= warmup:
                samples[name].append(elapsed)
    return {name: Timing(s) for name, s in samples.items()}


def main(quick: bool = False) -> None:
    compileall.compile_dir(str(ROOT / "nnsolve"), quiet=1)
    nnsolve = nnsolve_command()
    repeats = 5 if quick else 21
    commands = {
        "python -c 'import numpy'": (piped, [sys.executable, "-c", "import numpy"]),
        # what bounds run from below: the third-party imports alone, for --json and for rich's tables
        "import numpy, click, yaml": (piped, [sys.executable, "-c", "import numpy, click, yaml"]),
        "... and rich.console, rich.table": (piped, [sys.executable, "-c", "import numpy, click, yaml, rich.console, rich.table"]),
        "nnsolve run worksheet --json": (piped, nnsolve + ["run", WORKSHEET, "--json"]),
        "nnsolve run worksheet (piped)": (piped, nnsolve + ["run", WORKSHEET]),
        "nnsolve run worksheet (terminal)": (on_a_terminal, nnsolve + ["run", WORKSHEET]),
        "nnsolve --help": (piped, nnsolve + ["--help"]),
        "nnsolve --version": (piped, nnsolve + ["--version"]),
    }
    header("start-up (whole process, interleaved runs)")
    timings = interleaved(commands, repeats)
    floor = timings["python -c 'import numpy'"].median
    for name, t in timings.items():
        print(f"  {name:36} median {t.median * 1e3:7.1f} ms  (min {t.low * 1e3:.1f}, max {t.high * 1e3:.1f})  {t.median / floor:.2f}x numpy")
    rss = subprocess.run(
        [sys.executable, "-c", f"import resource, subprocess; subprocess.run({nnsolve + ['run', WORKSHEET]!r}, stdout=subprocess.DEVNULL); "
         "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    print(f"  peak RSS of nnsolve run worksheet: {int(rss) / 1024:.1f} MiB")
    ratio = {name: t.median / floor for name, t in timings.items()}
    targets = [
        Target("run --json / import numpy", ratio["nnsolve run worksheet --json"], 1.25),
        Target("run, piped text / import numpy", ratio["nnsolve run worksheet (piped)"], 1.6),
        Target("run, on a terminal / import numpy", ratio["nnsolve run worksheet (terminal)"], 1.6),
        Target("--help / import numpy", ratio["nnsolve --help"], 0.6),
        Target("--version / import numpy", ratio["nnsolve --version"], 0.6),
    ]
    figures = {name: t.as_dict(1e3) for name, t in timings.items()}
    figures["unit"] = "ms"
    figures["peak_rss_run_MiB"] = int(rss) / 1024
    save("startup", figures, targets)


if __name__ == "__main__":
    main("--quick" in sys.argv)

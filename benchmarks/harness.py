"""What every benchmark shares: timing with repeats, the machine it ran on, and the record.

Each benchmark script measures nnsolve and its comparison in the same process (or the same
run of whole processes, interleaved), several repeats each, and reports medians with min-max,
the ratio against the target, and a JSON record in benchmarks/results/.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"


@dataclass
class Timing:
    """Seconds per run: the median of the repeats, and their range."""

    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def low(self) -> float:
        return min(self.samples)

    @property
    def high(self) -> float:
        return max(self.samples)

    def as_dict(self, scale: float = 1.0) -> dict:
        return {"median": self.median * scale, "min": self.low * scale, "max": self.high * scale, "repeats": len(self.samples)}


def time_call(fn: Callable[[], object], repeats: int = 5, warmup: int = 1) -> Timing:
    """Time fn() repeats times in this process, after warmup calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return Timing(samples)


def time_commands(commands: dict[str, list[str]], repeats: int = 15, warmup: int = 2, env: Optional[dict] = None) -> dict[str, Timing]:
    """Whole-process wall time of each command, runs interleaved so that load hits all alike."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for round_ in range(warmup + repeats):
        for name, argv in commands.items():
            start = time.perf_counter()
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
            if round_ >= warmup:
                samples[name].append(time.perf_counter() - start)
    return {name: Timing(s) for name, s in samples.items()}


@dataclass
class Target:
    """A figure and the bound it must keep: ratio <= limit (or >= limit with at_least)."""

    name: str
    measured: float
    limit: float
    at_least: bool = False
    unit: str = "x"
    note: str = ""

    @property
    def met(self) -> bool:
        return self.measured >= self.limit if self.at_least else self.measured <= self.limit

    def line(self) -> str:
        bound = ">=" if self.at_least else "<="
        status = "met" if self.met else "NOT MET"
        return f"  {self.name}: {self.measured:.3g}{self.unit} (target {bound} {self.limit:g}{self.unit}) {status}{'  ' + self.note if self.note else ''}"


def machine() -> dict:
    """Cores, CPU, Python, numpy and its BLAS, torch if present."""
    info = {"python": platform.python_version(), "platform": platform.platform(), "cores": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    import numpy

    info["numpy"] = numpy.__version__
    try:
        config = numpy.show_config(mode="dicts")
        blas = config.get("Build Dependencies", {}).get("blas", {})
        info["blas"] = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
        simd = config.get("SIMD Extensions", {})
        info["simd"] = ", ".join(simd.get("found", [])[-3:])
    except Exception:  # older numpy: no dict mode
        info["blas"] = "unknown"
    try:
        from threadpoolctl import threadpool_info

        info["blas_threads"] = [(p.get("internal_api"), p.get("num_threads"), p.get("architecture")) for p in threadpool_info()]
    except ImportError:
        pass
    try:
        import torch

        info["torch"] = torch.__version__
    except ImportError:
        info["torch"] = None
    return info


def torch_or_none():
    """torch if installed (the benchmark-only CPU build), else None: the comparison is skipped."""
    try:
        import torch

        return torch
    except ImportError:
        print("  (torch is not installed: its comparison is skipped; `make bench` installs torch==2.13.0 where the CPU build is on disk)")
        return None


def save(name: str, figures: dict, targets: list[Target]) -> Path:
    """Print the targets and write benchmarks/results/NAME.json."""
    for t in targets:
        print(t.line())
    RESULTS.mkdir(exist_ok=True)
    record = {
        "benchmark": name,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        "figures": figures,
        "targets": [{"name": t.name, "measured": t.measured, "limit": t.limit, "at_least": t.at_least, "met": t.met, "unit": t.unit} for t in targets],
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path


def settle(limit: float = 60.0) -> float:
    """Wait until what the benchmark before wrote is on disk (Dirty + Writeback under 16 MiB,
    at most limit seconds), so that the next one does not share the machine with the flush."""
    start = time.perf_counter()
    os.sync()
    while time.perf_counter() - start < limit:
        try:
            with open("/proc/meminfo") as f:
                fields = {line.split(":")[0]: int(line.split()[1]) for line in f if line.startswith(("Dirty:", "Writeback:"))}
        except OSError:
            break
        if sum(fields.values()) < 16 * 1024:
            break
        time.sleep(0.5)
    time.sleep(1.0)
    return time.perf_counter() - start


def nnsolve_command() -> list[str]:
    """The installed nnsolve beside this Python."""
    return [str(Path(sys.executable).with_name("nnsolve"))]


def header(title: str) -> None:
    print(f"\n== {title}")

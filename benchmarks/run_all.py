"""`make bench`: every benchmark in turn, then each target with its measured ratio.

    python benchmarks/run_all.py [--quick]

Each script can run alone too (python benchmarks/bench_startup.py); each writes its record in
benchmarks/results/. BENCHMARKS.md holds one full run and how to read it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from harness import HERE, RESULTS, machine, settle

# bench_class last: it writes and deletes some 60,000 files, and the machine flushes them to
# disk for a while after, which slowed the memory-bound training steps behind it by up to 2x
SCRIPTS = ("bench_startup", "bench_solve", "bench_train", "bench_class")



def main() -> int:
    quick = "--quick" in sys.argv
    info = machine()
    print("machine:", ", ".join(f"{k} {v}" for k, v in info.items() if k != "blas_threads"))
    failed = []
    start = time.perf_counter()
    for name in SCRIPTS:
        script = HERE / f"{name}.py"
        if not script.exists():
            continue
        settle()
        result = subprocess.run([sys.executable, str(script)] + (["--quick"] if quick else []), cwd=HERE)
        if result.returncode != 0:
            failed.append(name)
    print(f"\n== every target ({time.perf_counter() - start:.0f} s in all)")
    for name in SCRIPTS:
        path = RESULTS / f"{name.removeprefix('bench_')}.json"
        if not path.exists():
            continue
        for t in json.loads(path.read_text())["targets"]:
            bound = ">=" if t["at_least"] else "<="
            print(f"  {name.removeprefix('bench_'):8} {t['name']}: {t['measured']:.3g}{t['unit']} "
                  f"(target {bound} {t['limit']:g}{t['unit']}) {'met' if t['met'] else 'NOT MET'}")
    if failed:
        print("failed:", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Run every benchmark in this folder at a size that finishes in minutes (`make bench`).

Each benchmark script prints, as its last line, one JSON object with at least ``ours_s``,
``baseline_s`` and ``ratio``; this runner collects those lines into
``benchmarks/results.jsonl`` and prints them.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES: dict[str, list[str]] = {
    "rollups.py": ["--customers", "20000"],
    "import_orders.py": ["--rows", "100000"],
    "segment_count.py": ["--customers", "200000"],
    "customer_list.py": ["--customers", "200000"],
    "rfm.py": ["--customers", "100000", "--orders", "1000000", "--new-orders", "10000"],
    "trigger_latency.py": ["--rate", "200", "--events", "6000", "--batch", "10"],
}


def main() -> int:
    results = []
    failed = False
    for script in sorted(HERE.glob("*.py")):
        if script.name in ("run.py", "demo_shop.py"):
            continue
        args = SIZES.get(script.name, [])
        print(f"== {script.name} {' '.join(args)}", flush=True)
        proc = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True)
        if proc.returncode != 0:
            failed = True
            print(proc.stdout + proc.stderr)
            continue
        line = proc.stdout.strip().splitlines()[-1]
        result = json.loads(line)
        results.append(result)
        print(line, flush=True)
    (HERE / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in results))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

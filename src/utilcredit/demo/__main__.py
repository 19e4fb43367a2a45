"""``python -m utilcredit.demo OUT_DIR [--subjects N] …``: write a demo data set and time it.

A developer and benchmark entry point; the product CLI may wrap :func:`generate` itself.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

from utilcredit.demo.generator import generate
from utilcredit.demo.spec import DemoSpec


def main(argv: list[str] | None = None) -> int:
    defaults = DemoSpec()
    parser = argparse.ArgumentParser(prog="python -m utilcredit.demo", description=__doc__)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--subjects", type=int, default=defaults.subjects)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=defaults.as_of)
    parser.add_argument("--years", type=int, default=defaults.years)
    parser.add_argument("--region", default=defaults.region)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)
    spec = DemoSpec(
        subjects=args.subjects,
        seed=args.seed,
        as_of=args.as_of,
        years=args.years,
        region=args.region,
    )
    started = time.perf_counter()

    def report(done: int) -> None:
        print(f"\r{done:,}/{spec.subjects:,} subjects", end="", file=sys.stderr, flush=True)

    counts = generate(spec, args.out_dir, report, workers=args.workers)
    elapsed = time.perf_counter() - started
    rows = sum(counts.values())
    print(file=sys.stderr)
    for kind, n in counts.items():
        print(f"{kind:15} {n:>12,}")
    print(f"{rows:,} rows in {elapsed:.1f} s: {rows / elapsed:,.0f} rows/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

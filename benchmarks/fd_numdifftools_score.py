"""Score difflab's methods on the cases ported from numdifftools' own derivative tests.

    OPENBLAS_NUM_THREADS=1 python benchmarks/fd_numdifftools_score.py [-v]

Prints passed/total over (case, method) pairs: status ok, the suite's accuracy, an honest error estimate
(the rules are in tests/engines/numdifftools_cases.py); -v lists the failures.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "engines")]

import numdifftools_cases as nc  # noqa: E402 -- after the path set-up above


def main() -> None:
    passed, total, failures = nc.run()
    print(f"numdifftools cases: {passed}/{total} (case, method) pairs pass ({100 * passed / total:.2f}%)")
    if "-v" in sys.argv:
        print("\n".join(failures))


if __name__ == "__main__":
    main()

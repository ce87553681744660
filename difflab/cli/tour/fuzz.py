"""Tour: a small seeded property run -- random functions drawn from the rule table, every method checked.

Why in the tour: worked examples show that difflab is right where someone looked; a property run shows
it on functions nobody chose, and when it is not, Hypothesis shrinks the case to the smallest function
and simplest point that still fail, which is what a person can debug.  The run is seeded, so this
section says the same thing every time; its JSON lands in ``fuzz.json``.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable

from difflab.cli.output import jsonable, table
from difflab.testing.fuzz_runner import run_fuzz
from difflab.testing.properties import PROPERTIES

TITLE = "Property runs: random functions, every method, shrunk counterexamples"

EXAMPLES = 25
SEED = 7


def run(out_dir: pathlib.Path, say: Callable[[str], None]) -> None:
    say(f"{EXAMPLES} random functions per property (seed {SEED}; `difflab fuzz --examples {EXAMPLES} "
        f"--seed {SEED}` repeats it):")
    for p in PROPERTIES.values():
        say(f"- {p.name}: {p.description}")
    report = run_fuzz(examples=EXAMPLES, seed=SEED, workers=1)
    say("")
    say(table(["property", "passed", "failed"],
              [[name, c["passed"], c["failed"]] for name, c in report["properties"].items()]))
    for f in report["failures"]:
        point = ", ".join(f"{k}={v!r}" for k, v in f["point"].items())
        say(f"\nshrunk counterexample for {f['property']}: {f['expression']} at {point}\n  {f['message']}")
    if not report["failures"]:
        say("\nno counterexample: every property held on every drawn function")
    (out_dir / "fuzz.json").write_text(json.dumps(jsonable(report), indent=2))
    say("\nthe full report (with each failure's values) is in fuzz.json")

"""Tour section: the seed course's 2-2-1 network, differentiated symbolically, forward and reverse.

The loss is written once as a Python function over ``difflab.numpy``; the symbolic route traces it into
SymPy, forward mode pushes dual numbers through it, reverse mode records it on a tape -- and the seed
notes' hand-derived chain rule ``dL/dw11 = -x1 w1 a1 (1 - a1)(y - yhat)`` is evaluated on its own as a
fourth opinion.  All four must agree to rounding; the notes' formula for ``dL/dw21`` (which uses ``w2``
where the chain through ``a1`` gives ``w1``) must not.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable

import numpy as np

import difflab.numpy as dnp
from difflab.expr.function import Function
from difflab.methods.registry import gradient

TITLE = "Automatic differentiation: the seed 2-2-1 network, three ways"

X1, X2, Y = 0.8, -0.45, 1.0
NAMES = ("w11", "w21", "b1", "w12", "w22", "b2", "w1", "w2", "b")
VALUES = (0.3, -0.7, 0.1, 0.55, 0.25, -0.2, 1.2, -0.8, 0.05)


def network_loss(w11, w21, b1, w12, w22, b2, w1, w2, b):
    """Seed 002: z1 = x1 w11 + x2 w21 + b1, a = sigmoid(z), yhat = sigmoid(a1 w1 + a2 w2 + b), log-loss."""
    a1 = dnp.sigmoid(X1 * w11 + X2 * w21 + b1)
    a2 = dnp.sigmoid(X1 * w12 + X2 * w22 + b2)
    yhat = dnp.sigmoid(a1 * w1 + a2 * w2 + b)
    return -Y * dnp.log(yhat) - (1 - Y) * dnp.log(1 - yhat)


def _seed_formulas() -> dict[str, float]:
    s = lambda t: 1.0 / (1.0 + np.exp(-t))  # noqa: E731
    p = dict(zip(NAMES, VALUES, strict=True))
    a1 = s(X1 * p["w11"] + X2 * p["w21"] + p["b1"])
    a2 = s(X1 * p["w12"] + X2 * p["w22"] + p["b2"])
    yhat = s(a1 * p["w1"] + a2 * p["w2"] + p["b"])
    return {"w11": -X1 * p["w1"] * a1 * (1 - a1) * (Y - yhat),
            "w21 (seed as written)": -X2 * p["w2"] * a1 * (1 - a1) * (Y - yhat),
            "w21 (chain rule)": -X2 * p["w1"] * a1 * (1 - a1) * (Y - yhat)}


def run(out_dir: pathlib.Path, say: Callable[[str], None]) -> None:
    f = Function(network_loss, variables=list(NAMES))
    x = np.array(VALUES)
    say(f"inputs x1={X1}, x2={X2}, label y={Y}; parameters " + ", ".join(f"{n}={v}" for n, v in zip(
        NAMES, VALUES, strict=True)))
    say(f"loss L = {f.value(x):.17g}\n")
    estimates = {m: gradient(f, x, method=m) for m in ("symbolic", "forward", "reverse")}
    say("| parameter | symbolic | forward | reverse | max rel diff |")
    say("|---|---|---|---|---|")
    worst = 0.0
    for i, name in enumerate(NAMES):
        vals = [float(estimates[m].value[i]) for m in estimates]
        scale = max(abs(v) for v in vals)
        diff = (max(vals) - min(vals)) / scale if scale else 0.0
        worst = max(worst, diff)
        say(f"| {name} | {vals[0]:.17g} | {vals[1]:.17g} | {vals[2]:.17g} | {diff:.1e} |")
    say(f"\nthe three methods agree to {worst:.1e} relative (symbolic traced the Python loss into SymPy).")

    seed = _seed_formulas()
    rev = dict(zip(NAMES, estimates["reverse"].value, strict=True))
    for label, key in (("w11", "w11"), ("w21 (chain rule)", "w21"), ("w21 (seed as written)", "w21")):
        r = abs(seed[label] - rev[key]) / max(abs(seed[label]), abs(rev[key]))
        verdict = "agrees" if r < 1e-13 else "DISAGREES"
        say(f"seed formula dL/d{label}: {seed[label]:.17g} -- reverse mode {rev[key]:.17g}: {verdict} "
            f"(rel diff {r:.1e})")
    say("\nseed 002 writes dL/dw21 = -x2 w2 a1(1-a1)(y-yhat); w21 feeds z1, so the chain runs through "
        "a1 and w1: the formula should read -x2 w1 a1(1-a1)(y-yhat).")
    (out_dir / "autodiff.json").write_text(json.dumps({
        "parameters": dict(zip(NAMES, VALUES, strict=True)),
        "gradients": {m: [float(v) for v in e.value] for m, e in estimates.items()},
        "seed_formulas": seed, "max_rel_diff": worst}, indent=2))

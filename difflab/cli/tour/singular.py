"""Tour: removable singularities, poles, kinks and overflow -- where peers print nan and difflab answers.

Seed 001 writes h(t) = (t^2-4)/(t-2) and notes that "ML libraries do not know L'Hopital's rule": the
formula is 0/0 at t = 2. This section shows the plain NumPy evaluation of the formula and of its
derivatives (what lambdify, and any library evaluating the formula, computes) next to difflab's answers,
then the same near a point, at a pole, at a kink, and for the overflowing softplus / log-loss.
"""

from __future__ import annotations

import csv
import pathlib
from collections.abc import Callable

import mpmath
import numpy as np
import sympy

from difflab.cli.output import fmt, table
from difflab.expr.function import Function
from difflab.expr.parse import parse_expr_safe
from difflab.methods import symbolic
from difflab.methods.reference import reference_gradient, reference_value
from difflab.methods.registry import gradient, hessian
from difflab.primitives.sympy_twins import FUSED
from difflab.singular import notes

TITLE = "Singular points: limits, series branches, poles, kinks, stable forms, several variables"


def _naive(text: str) -> list[Callable]:
    """f, f', f'' of the written formula through plain SymPy lambdify to NumPy (no difflab)."""
    expr = parse_expr_safe(text)
    # the fused classes back to their exp/log compositions (only them: cos must stay cos)
    expr = expr.xreplace({a: a.rewrite(sympy.exp) for a in expr.atoms(*FUSED.values())})
    (s,) = expr.free_symbols
    return [sympy.lambdify(s, sympy.diff(expr, s, k), "numpy") for k in range(3)]


def _call(fn: Callable, x: float) -> float:
    with np.errstate(all="ignore"):
        return float(fn(np.float64(x)))


def _rel(a: float, truth) -> str:
    if not np.isfinite(a):
        return str(a)
    return fmt(float(abs(mpmath.mpf(a) - truth) / abs(truth)), 2)


def run(out_dir: pathlib.Path, say: Callable[[str], None]) -> None:
    text = "(t**2 - 4)/(t - 2)"
    h = Function(text)
    naive = _naive(text)
    say(f"Seed 001: h(t) = {text} at t = 2 (0/0 in the formula; h = t + 2, so 4, 1, 0):\n")
    ours = [h.value([2.0]), gradient(h, [2.0]).value[0], hessian(h, [2.0]).value[0, 0]]
    labels = ("h(2)", "h'(2)", "h''(2)")
    rows = [[name, fmt(_call(fn, 2.0)), fmt(v)] for name, fn, v in zip(labels, naive, ours, strict=True)]
    say("```\n" + table(["", "NumPy (formula)", "difflab"], rows) + "\n```")
    for note in notes.notes_at(h, [2.0]):
        say(f"note: {note}")
    fwd = gradient(h, [2.0], method="forward")
    say(f"forward-mode AD evaluates the formula too: {fmt(fwd.value[0])} -- status: {fwd.status}")

    text = "(1 - cos(x))/x**2"
    f = Function(text)
    naive = _naive(text)
    say(f"\nNear a removable point: {text} (true value 1/2 - x^2/24, derivative -x/12) at 0 + d; relative "
        "error against mpmath at 50+ digits:\n")
    rows, records = [], []
    grad = symbolic.compile_gradient(f)
    for d in (1e-1, 1e-3, 1e-6, 1e-9, 1e-12):
        v_true, g_true = reference_value(f, [d]), reference_gradient(f, [d])[0]
        nv, ng = _call(naive[0], d), _call(naive[1], d)
        ov, og = float(f.numpy(d)), float(grad(d)[0])
        rows.append([f"{d:g}", fmt(nv), _rel(nv, v_true), fmt(ov), _rel(ov, v_true),
                     fmt(ng), _rel(ng, g_true), fmt(og), _rel(og, g_true)])
        records.append({"x": d, "naive_value": nv, "difflab_value": ov, "naive_derivative": ng,
                        "difflab_derivative": og, "true_value": float(v_true),
                        "true_derivative": float(g_true)})
    say("```\n" + table(["x", "f NumPy", "rel err", "f difflab", "rel err", "f' NumPy", "rel err",
                         "f' difflab", "rel err"], rows) + "\n```")
    with open(out_dir / "singular_near_point.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)
    say("(written to singular_near_point.csv) " + symbolic.compile_value(f).branches[0].description)

    say("\nA pole and a one-sided point are reported, never given a finite wrong number:")
    for text, at in (("1/x", 0.0), ("sin(x)/x**2", 0.0), ("x*log(x)", 0.0)):
        say(f"  {text} at x = {fmt(at)}: {notes.notes_at(Function(text), [at])[0]}")

    say("\nKinks: not differentiable, both one-sided derivatives given; what each method returns anyway:")
    names = ("symbolic", "forward", "reverse", "fd-forward", "fd-backward", "fd-central", "complex-step")
    rows = []
    for text in ("abs(x)", "max(x, 0)", "max(x, 0.01*x)"):
        k = Function(text)
        rows.append([text] + [fmt(gradient(k, [0.0], method=m).value[0]) for m in names])
        say(f"  {text}: {notes.notes_at(k, [0.0])[0].split(';')[0]}")
    say("```\n" + table(["f'(0)"] + list(names), rows) + "\n```")
    say("(JAX returns 1 for abs'(0), PyTorch 0; relu'(0) is 0 in both.)")

    say("\nStable forms: the written formulas overflow; difflab compiles softplus / log_sigmoid instead:")
    rows = []
    for text, at in (("log(1 + exp(x))", 1000.0), ("-log(sigmoid(z))", -800.0),
                     ("-log(1 - sigmoid(z))", 800.0), ("-log(1 - 1/(1 + exp(-z)))", 800.0)):
        naive = _naive(text)
        g = Function(text)
        rows.append([text, fmt(at), fmt(_call(naive[0], at)), fmt(_call(naive[1], at)), fmt(g.value([at])),
                     fmt(gradient(g, [at]).value[0])])
    say("```\n" + table(["f", "at", "f NumPy", "f' NumPy", "f difflab", "f' difflab"], rows) + "\n```")

    _several_variables(say)


def _formula(text: str):
    """f, its gradient and Hessian of the written formula through plain SymPy lambdify (no difflab)."""
    expr = parse_expr_safe(text)
    xs = sorted(expr.free_symbols, key=lambda s: s.name)
    grad = [sympy.diff(expr, v) for v in xs]
    hess = [[sympy.diff(g, v) for v in xs] for g in grad]
    return [sympy.lambdify(xs, e, "numpy") for e in (expr, grad, hess)]


def _numpy_at(fns, point) -> list:
    with np.errstate(all="ignore"):
        return [np.asarray(fn(*map(np.float64, point)), dtype=float).tolist() for fn in fns]


def _several_variables(say: Callable[[str], None]) -> None:
    """Issue 16: removable singular sets of several variables, next to what the formula gives."""
    say("\nSeveral variables: the singular set is a curve (x*y = 0 is both axes). NumPy, JAX, PyTorch "
        "all return nan on it; SymPy's limit is one-variable:\n")
    rows = []
    for text, at in (("sin(x*y)/(x*y)", (0.0, 1.0)), ("(x**2 - y**2)/(x - y)", (1.0, 1.0))):
        f = Function(text)
        naive = _numpy_at(_formula(text), at)
        ours = [f.value(list(at)), gradient(f, list(at)).value.tolist(), hessian(f, list(at)).value.tolist()]
        for name, a, b in zip(("f", "gradient", "Hessian"), naive, ours, strict=True):
            rows.append([f"{text} at {at}" if name == "f" else "", name, _short(a), _short(b)])
        say(f"note: {notes.notes_at(f, list(at))[0]}")
    say("```\n" + table(["", "", "NumPy (formula)", "difflab"], rows) + "\n```")
    say("(true at (0, 1): 1, [0, 0], [[-1/3, 0], [0, 0]]; at (1, 1): 2, [1, 1], 0)")

    f = Function("sin(x*y)/(x*y)")
    at = [1e-9, 1.5]
    truth = [float(v) for v in reference_gradient(f, at)]
    naive = _numpy_at(_formula("sin(x*y)/(x*y)"), at)[1]
    ours = gradient(f, at).value.tolist()
    err = [max(abs(a - t) / abs(t) for a, t in zip(v, truth, strict=True)) for v in (naive, ours)]
    say(f"\nNear the set, at x = 1e-9, y = 1.5 the formula cancels: gradient relative error "
        f"{fmt(err[0], 2)} (NumPy) against {fmt(err[1], 2)} (difflab, the substitution u = x*y and "
        "sin(u)/u's Taylor branch), both against mpmath.")

    say("\nNot removable, said in words (value null in JSON):")
    for text, at in (("x*y/(x**2 + y**2)", [0.0, 0.0]), ("1/(sin(x)*cos(y))", [0.0, 1.0])):
        say(f"  {text} at {tuple(at)}: {notes.notes_at(Function(text), at)[0]}")
    say(f"  tan(x) at the double nearest pi/2: {notes.notes_at(Function('tan(x)'), [np.pi / 2])[0]}")


def _short(v) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_short(w) for w in v) + "]"
    return fmt(v, 6)

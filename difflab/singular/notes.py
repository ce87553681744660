"""Words about special points: limits, series branches, poles, kinks and domain edges.

``notes_at(f, x)`` says what is special at ``x`` (``point_notes`` adds the stable-form note: ``difflab
diff`` prints them; its JSON carries them) and
``annotate(estimate, f, x, what)`` puts the same words on a method's Estimate, with a status that is not
"ok" where the derivative does not exist (a kink, a pole, an edge of the domain).

Convention at a kink. Asked anyway for the derivative of abs(x), max(x, 0) (relu) or max(x, 0.01x) (leaky
relu) at 0, difflab's methods answer (tested in tests/test_singular_points.py):

* symbolic, forward, reverse, fd-central, fd-five-point, richardson: the *average* of the two one-sided
  derivatives -- sign(0) = 0 for abs, Heaviside(0) = 1/2 for relu, 0.505 for the leaky relu;
* fd-forward and complex-step: the right-hand derivative (1); fd-backward: the left-hand one.

Peers disagree (JAX: abs'(0) = 1, relu'(0) = 0; PyTorch: abs'(0) = 0, relu'(0) = 0), which is why the
status says "not differentiable" and gives both sides instead of pretending one number is right.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import mpmath
import numpy as np
import sympy

from difflab.expr.budget import Budget, OverBudget, within
from difflab.expr.compile import to_mpmath
from difflab.expr.function import Function
from difflab.primitives.heads import kink_arguments, rule_of
from difflab.result import Estimate
from difflab.singular.analysis import EPS, analyze, point_at
from difflab.singular.resolve import resolution
from difflab.singular.several import NEAR, singular_sets
from difflab.singular.zeros import real_zeros

UNTRUSTED = "value and derivatives are not trusted and are withheld"

CONVENTION = ("asked anyway, symbolic, forward, reverse, fd-central, fd-five-point and richardson return the "
              "average of the two sides; fd-forward and complex-step the right side, fd-backward the left")


@dataclass(frozen=True)
class Special:
    """A kink (f' jumps), a kink of f' (f'' jumps) or an edge of the domain, found lazily."""

    center: sympy.Expr
    kind: str                         # kink | kink2 | edge
    text: str
    status: str | None                # the Estimate status there (None: leave it)
    hessian_only: bool = False

    @property
    def value(self) -> float:
        return float(self.center)


def _s(v: sympy.Expr) -> str:
    """An exact limit in words: -oo -> -inf, 1/3 stays 1/3."""
    return {sympy.oo: "+inf", -sympy.oo: "-inf", sympy.zoo: "inf (sign depends on the side)"}.get(v, str(v))


def _specials(f: Function) -> tuple[tuple[str, sympy.Expr], ...]:
    if f.caches.specials is None:
        try:
            f.caches.specials = _find_specials(f)
        except Exception as err:  # noqa: BLE001 -- kinks and edges are words; their failure must not break f
            analyze(f).skipped.append(f"kinks and domain edges were not analysed ({type(err).__name__})")
            f.caches.specials = ()
    return f.caches.specials


def _find_specials(f: Function) -> tuple[tuple[str, sympy.Expr], ...]:
    """(kind, point) candidates: zeros of abs/max/min/sign arguments and of log/sqrt arguments. Cheap
    (``solveset`` only); the limits that classify a candidate run when a point lands on it."""
    an = analyze(f)
    if f.expr is None or f.n != 1:
        return ()
    expr, x = f.stable, f.symbols[0]
    edges = []
    kinks = kink_arguments(expr)
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.log) or (isinstance(node, sympy.Pow) and node.exp.is_number
                                             and not node.exp.is_integer):
            edges.append(node.args[0])
    if not kinks and not edges:
        return ()
    budget, skipped = Budget(), an.skipped
    known = {p.value for p in an.points}
    out: list[tuple[str, sympy.Expr]] = []
    seen: set[float] = set()
    for kind, args in (("kink", kinks), ("edge", edges)):
        for arg in args:
            if not arg.has(x):
                continue
            for z in real_zeros(arg, x, budget, skipped):
                if float(z) not in seen and float(z) not in known:
                    seen.add(float(z))
                    out.append((kind, z))
    return tuple(out)


def _classified(f: Function, kind: str, z: sympy.Expr) -> Special | None:
    """The words at one kink/edge candidate, worked out (limits) only when a point lands on it."""
    cache = f.caches.special_words
    if (kind, z) not in cache:
        expr, x = f.stable, f.symbols[0]
        try:
            cache[kind, z] = (_kink if kind == "kink" else _edge)(expr, x, z, Budget())
        except Exception as err:  # noqa: BLE001 -- OverBudget, SymPy's NotImplementedError, ...: said, not raised
            analyze(f).skipped.append(f"the {kind} at {x}={z} was not classified ({type(err).__name__})")
            cache[kind, z] = None
    return cache[kind, z]


def _kink(expr: sympy.Expr, x: sympy.Symbol, z: sympy.Expr, budget: Budget) -> Special | None:
    d1 = sympy.diff(expr, x)
    left, right = budget.run(sympy.limit, d1, x, z, "-"), budget.run(sympy.limit, d1, x, z, "+")
    if left != right:
        words = (f"not differentiable at {x}={z} (a kink): the one-sided derivatives are {_s(left)} from "
                 f"the left and {_s(right)} from the right")
        return Special(z, "kink", f"{words}; {CONVENTION}", words)
    d2 = sympy.diff(d1, x)
    left2, right2 = budget.run(sympy.limit, d2, x, z, "-"), budget.run(sympy.limit, d2, x, z, "+")
    if left2 != right2:
        words = (f"f' has a kink at {x}={z}: f'' is {_s(left2)} from the left and {_s(right2)} from the "
                 f"right, so the Hessian does not exist there (f' = {_s(left)} is fine)")
        return Special(z, "kink2", words, words, hessian_only=True)
    return None


def _edge(expr: sympy.Expr, x: sympy.Symbol, z: sympy.Expr, budget: Budget) -> Special | None:
    fn = to_mpmath(expr, [x])
    inside = {}
    with mpmath.workdps(30):
        for side, sign in (("left", -1), ("right", 1)):
            t = z.evalf(40)._to_mpmath(mpmath.mp.prec) + sign * mpmath.mpf(10) ** -10 * max(1, abs(float(z)))
            try:
                v = mpmath.mpmathify(fn(t))
                inside[side] = not (isinstance(v, mpmath.mpc) and abs(v.imag) > 1e-20 * max(1, abs(v.real)))
            except (ZeroDivisionError, ValueError, OverflowError, TypeError):
                inside[side] = False
    if all(inside.values()):
        return None  # real on both sides: not an edge (e.g. sqrt(x**2)); a kink or pole is found elsewhere
    parts, worst = [], None
    d1 = sympy.diff(expr, x)
    for side, direction in (("left", "-"), ("right", "+")):
        if not inside[side]:
            parts.append(f"to the {side} f is not real (outside the domain)")
            continue
        lim = budget.run(sympy.limit, expr, x, z, direction)
        dlim = budget.run(sympy.limit, d1, x, z, direction)
        parts.append(f"from the {side}: f -> {_s(lim)} (a one-sided limit), f' -> {_s(dlim)}")
        worst = dlim
    text = f"{x}={z} is an edge of the domain: " + "; ".join(parts)
    status = text if worst is None or not worst.is_finite else None
    return Special(z, "edge", text, status if status else text)


def pole_origin(expr: sympy.Expr, factor: sympy.Expr | None) -> str:
    """" (cos(x) = 0: a pole of tan)" when ``factor`` is a row's pole factor (the table's ``poles``),
    else ""."""
    if factor is None:
        return ""
    for node in sympy.preorder_traversal(expr):
        rule = rule_of(node)
        if rule is not None and rule.poles is not None and factor in rule.poles(*node.args):
            return f" ({factor} = 0: a pole of {rule.name})"
    return ""


def _limit_text(c: sympy.Expr) -> str:
    """An exact limit as SymPy prints it; a 30-digit one as a short closed form when one is recognised
    (-1/3, pi**3/3), else as its double."""
    if not c.is_Float:
        return _s(c)
    guess = sympy.nsimplify(c, [sympy.pi], tolerance=1e-25, rational=False)
    text = str(guess)
    return text if len(text) <= 24 and not guess.is_Float else repr(float(c))


def _at(center: float, x: float) -> bool:
    return abs(x - center) <= 4 * EPS * max(1.0, abs(center))


def _point_words(f: Function, v: float) -> tuple[list[str], str | None]:
    """Notes and, where the derivative does not exist, a status, for the analysed denominator zeros."""
    p, exact = point_at(f, v)
    if p is None:
        return [], None
    name = f"{f.variables[0]}={p.center}"
    lim = [_limit_text(c) for c in p.limits]
    if p.kind == "removable" and exact:
        return [f"{name} is a removable singularity (the formula is 0/0 there): f = {lim[0]}, f' = {lim[1]}, "
                f"f'' = {lim[2]} are the limits ({p.detail})"], None
    if p.kind == "removable":
        r = max(p.radius.values())
        source = f"the cancelled form {p.factored}" if p.factored is not None else "its Taylor series branch"
        return [f"{f.variables[0]}={v!r} is within {r:.3g} of the removable singularity at {name}: value and "
                f"derivatives come from {source}, where the formula would lose digits to cancellation"], None
    if p.kind in ("pole", "jump") and exact:
        what = "pole" if p.kind == "pole" else "jump (f is not continuous)"
        origin = pole_origin(f.stable, analyze(f).origins.get(p.center))
        sides = (f": f -> {_s(p.sides[0])} from the left and {_s(p.sides[1])} from the right"
                 if p.sides else "")
        words = f"{what} at {name}{origin}{sides}; no finite derivative there"
        return [words], words
    if p.kind == "nonsmooth" and exact:
        words = f"{name}: f = {lim[0]} is the limit (0/0 in the formula); f is not smooth there"
        return [words], words
    if p.kind == "unresolved" and exact:
        words = f"{name} is a zero of a denominator that could not be classified ({p.detail})"
        return [words], words
    return [], None


def stable_note(f: Function) -> list[str]:
    """Says when the compiled formula is a stability rewrite of the written one (``stable.rewrite``)."""
    if f.expr is None:
        return []
    expr = f.stable
    if expr == f.expr:
        return []
    return [f"computed in stable form: {expr} (the written formula overflows or cancels for large arguments)"]


def notes_at(f: Function, x) -> list[str]:
    """Notes for ``f`` at ``x`` (empty when nothing is special there)."""
    return _words(f, f.point(x), "gradient")[0]


def point_notes(f: Function, x) -> list[str]:
    """``notes_at`` plus the stable-form note: everything ``difflab diff`` and reports say about ``x``."""
    return notes_at(f, x) + stable_note(f)


def notes_at_point(f: Function, point: np.ndarray) -> list[str]:
    """``point_notes`` at a point validated by ``Function.point`` (compare and sweep validate once)."""
    return _words(f, np.asarray(point, dtype=float), "gradient")[0] + stable_note(f)


def no_derivative(f: Function, point: np.ndarray, what: str = "gradient") -> str | None:
    """Why the derivative does not exist at the validated ``point`` (a kink, a pole, a jump), or None."""
    if _quiet(f):
        return None
    return _words(f, np.asarray(point, dtype=float), what)[1]


def _words(f: Function, point: np.ndarray, what: str) -> tuple[list[str], str | None]:
    """The notes and status at a validated point (``Function.point``)."""
    if f.expr is None:
        return [], None
    if f.n != 1:
        return _multivariate(f, point)
    v = float(point[0])
    notes, status = _point_words(f, v)
    for kind, z in _specials(f):
        sp = _classified(f, kind, z) if _at(float(z), v) else None
        if sp is not None:
            notes.append(sp.text)
            if sp.status and (what == "Hessian" or not sp.hessian_only):
                status = status or sp.status
    # What the budget stopped is said wherever it may matter (a point it left unclassified could be here)
    stopped = [s for s in analyze(f).skipped if "time budget" in s or "in time" in s]
    notes.extend(f"{s} (stopped at the budget; --budget gives it more time)" for s in stopped
                 if not notes.count(s))
    if stopped and status is None:
        lost = _digits_lost(f, v)
        if lost is None or lost > 1e-8:
            how = ("could not be checked here" if lost is None
                   else f"loses digits here (relative difference {lost:.2g} from 40-digit arithmetic)")
            status = (f"{f.variables[0]}={v!r} may be near a 0/0 or a pole that the analysis did not finish "
                      f"within the time budget, and the formula {how}: {UNTRUSTED}; --budget gives the "
                      f"analysis more time")
    return notes, status


def withheld(status: str | None) -> bool:
    """True when ``status`` says the numbers at the point are not trusted (the budget stopped the analysis
    and the formula loses digits there): they are then withheld (nan, null in JSON), not printed beside
    the words, because a reader who skips the note must not take 1e9 for a derivative of -8e-11."""
    return status is not None and UNTRUSTED in status


def trusted_value(f: Function, point: np.ndarray) -> float:
    """f at the validated ``point``, or nan when the point's status withholds the numbers (``withheld``)."""
    point = np.asarray(point, dtype=float)
    if not _quiet(f) and withheld(_words(f, point, "gradient")[1]):
        return float("nan")
    with np.errstate(all="ignore"):
        return float(np.real(f.value_at(point)))


def _digits_lost(f: Function, v: float) -> float | None:
    """Relative difference of f in double precision from f at 40 digits at ``v`` (None: not checked in
    time). Why: a point the analysis did not reach is trusted only if the formula is sound there."""
    def at_40_digits() -> float:
        fn = to_mpmath(f.stable, list(f.symbols))
        with mpmath.workdps(40):
            return float(mpmath.mpmathify(fn(mpmath.mpf(v))).real)

    try:
        exact = within(1.0, at_40_digits)
    except (OverBudget, ZeroDivisionError, ValueError, OverflowError, TypeError):
        return None
    with np.errstate(all="ignore"):
        got = float(np.real(f.value([v])))
    if not (np.isfinite(got) and np.isfinite(exact)):
        return None if got != exact else 0.0
    return abs(got - exact) / max(abs(got), abs(exact), 1e-300) if got != exact else 0.0


def _multivariate(f: Function, point: np.ndarray) -> tuple[list[str], str | None]:
    """Notes and status at a point of a function of several variables (``singular.several``)."""
    sev = singular_sets(f)
    if not sev.factors:
        return [], None
    res = resolution(f, sev, point)
    stopped = [f"{s} (stopped at the budget; --budget gives it more time)" for s in sev.skipped]
    if res is not None:
        return [res.words, *stopped], (None if res.kind == "removable" else res.words)
    flat = [np.array([v]) for v in point]
    near = [(fa, float(fa.distance(flat)[0])) for fa in sev.factors]
    near = [(fa, d) for fa, d in near if d <= NEAR]
    if not near:
        return stopped, None
    fa, d = min(near, key=lambda t: t[1])
    where = ", ".join(f"{n}={float(v)!r}" for n, v in zip(f.variables, point, strict=True))
    if sev.substitution is not None:
        sub = sev.substitution
        how = f"the substitution u = {sub.g}, f = {sub.phi.expr} (its one-variable branches)"
    elif sev.cancelled is not None and fa.expr in sev.removed:
        how = f"the cancelled form {sev.cancelled} (exact cancellation)"
    else:
        how = "the formula evaluated at raised precision with a running error bound (20 correct digits)"
    return [f"{where} is within {d:.3g} (relative) of the singular set {fa.expr} = 0: value and derivatives "
            f"come from {how}, where the formula would lose digits to cancellation", *stopped], None


def _quiet(f: Function) -> bool:
    """True when f has no denominator, kink or domain edge at all (cached per Function)."""
    if f.caches.quiet is None:
        if f.expr is None:
            f.caches.quiet = True
        else:
            an = analyze(f)
            f.caches.quiet = not an.points and not an.denominators and (f.n != 1 or not _specials(f))
    return f.caches.quiet


def annotate(est: Estimate, f: Function, point: Sequence[float], what: str) -> Estimate:
    """``est`` with the notes at the validated ``point`` and, where the derivative does not exist (a kink,
    a pole, an edge of the domain), a status saying so -- the words a bare number there needs."""
    if _quiet(f):
        return est  # the common case: nothing special anywhere, one cached flag per call
    point = np.asarray(point, dtype=float)
    try:
        notes, status = _words(f, point, what)
    except Exception:  # noqa: BLE001 -- words are an extra; a failure here must not lose the estimate
        return est
    if not notes and status is None:
        return est
    p, exact = point_at(f, float(point[0])) if f.n == 1 else (None, False)
    if status is None and p is not None and p.kind == "removable" and exact and not est.ok:
        status = (f"this method evaluates the formula, which is 0/0 at the removable singularity "
                  f"{f.variables[0]}={p.center}; the symbolic method gives the limit")
    value = est.value
    res = resolution(f, singular_sets(f), point) if f.n > 1 and singular_sets(f).factors else None
    if res is not None and res.kind == "removable" and status is None and not est.ok:
        status = ("this method evaluates the formula, which is 0/0 on the removable singular set here; the "
                  "symbolic method gives the value of the analytic extension")
    if (p is not None and exact and p.kind in ("pole", "jump")) or \
            (res is not None and res.kind != "removable"):
        value = np.full(np.shape(value), np.nan)  # no derivative there: never the formula's 2.7e32
    if withheld(status):
        est = replace(est, error_estimate=None)
        value = np.full(np.shape(value), np.nan)
    return replace(est, value=value, notes=tuple(est.notes) + tuple(n for n in notes if n not in est.notes),
                   status=status or est.status)

"""How a ``SweepResult`` looks: the command line's table (``str``), a notebook's table and plot (HTML).

Formatting only, duck-typed on the sweep's attributes (no import of ``step_sweep``, which uses this).
Two optima are shown side by side because they answer different questions: the *basin middle* is the
middle of the steps whose smoothed error is within 2x of the lowest (a step that stays good when f
changes a little), the *lowest measured* error is the single best step of this sweep (which may be a
lucky rounding and is not a recommendation).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from difflab import display as d

HEADERS = ("scheme", "trunc", "basin middle", "smoothed error", "lowest measured (step)", "model step",
           "theory step", "error at theory")


def _lowest(s: Any) -> str:
    step, err = s.lowest
    return "-" if step is None else f"{d.fmt(err, 2)} ({d.fmt(step, 2)})"


def rows(result: Any) -> list[list[str]]:
    return [[s.scheme, f"h^{s.truncation_power}", d.fmt(s.best_step, 2), d.fmt(s.best_error, 2), _lowest(s),
             "-" if s.model_step is None else d.fmt(s.model_step, 2), d.fmt(s.theory_step, 2),
             d.fmt(s.default_error, 2)] for s in result.schemes]


def notes(result: Any) -> list[str]:
    out = list(result.notes)
    return out + [n for n in sorted({n for s in result.schemes for n in s.notes}) if n not in out]


def what(result: Any) -> str:
    """What a sweep's curves measure: gradient, Hessian, Jacobian (worst entry) or f^(K)."""
    if getattr(result, "kind", "") == "jacobian":
        return "Jacobian"
    if getattr(result, "kind", "") == "derivatives":
        return f"f^({result.order})"
    return "gradient" if result.order == 1 else "Hessian"


def worst_text(result: Any, s: Any) -> str:
    """For a Jacobian, which entry the curve follows at the basin middle (the envelope's owner there)."""
    if getattr(result, "kind", "") != "jacobian" or s.worst_entry is None:
        return ""
    return f" (worst entry there: {d.entry_name('jacobian', result.variables, s.worst_entry)})"


def head(result: Any) -> str:
    point = ", ".join(f"{k}={d.fmt(v)}" for k, v in zip(result.variables, result.point, strict=True))
    over = "relative error" if getattr(result, "kind", "") == "derivatives" else \
        "worst relative error over the entries"
    return f"f = {result.function}   at {point}   ({what(result)}; {over})"


def text(result: Any) -> str:
    """The readable form: optima per scheme, the verdicts, then the error per decade of step as a grid."""
    lines = [head(result)]
    if result.status != "ok":
        return "\n".join([*lines, result.status])
    lines += ["", d.table(HEADERS, rows(result)), ""]
    lines += [f"{s.scheme}: {s.verdict}{worst_text(result, s)}" for s in result.schemes]
    if result.schemes:
        steps = result.schemes[0].steps
        grid = [[d.fmt(h, 1)] + [d.fmt(s.rel_error[k], 1) for s in result.schemes]
                for k, h in enumerate(steps) if abs(math.log10(h) - round(math.log10(h))) < 1e-9]
        lines += ["", "relative error at each decade of step (steps are relative to max(|x_i|, 1)):", "",
                  d.table(["step", *[s.scheme for s in result.schemes]], grid)]
    said = notes(result)
    if said:
        lines += ["", *[f"note: {n}" for n in said]]
    return "\n".join(lines)


def html(result: Any) -> str:
    """A styled table of the optima, the verdicts, and the error-versus-step plot inline (SVG)."""
    if result.status != "ok":
        return d.html_block(head(result), d.html_text(result.status))
    plot = d.svg_loglog([(s.scheme, s.steps, s.rel_error) for s in result.schemes],
                        "relative step h", "relative error",
                        marks=[(f"{s.scheme}: basin middle", s.best_step, s.best_error)
                               for s in result.schemes])
    verdicts = d.html_table(["scheme", "what the sweep says"],
                            [[s.scheme, s.verdict + worst_text(result, s)] for s in result.schemes])
    return d.html_block(head(result), d.html_table(HEADERS, rows(result)), plot, verdicts,
                        notes=notes(result))


def lowest(rel_error: np.ndarray, steps: np.ndarray) -> tuple[float | None, float]:
    """The step with the lowest measured error (the first of equals: the largest step), and that error."""
    finite = np.isfinite(rel_error)
    if not finite.any():
        return None, math.nan
    k = int(np.argmin(np.where(finite, rel_error, np.inf)))
    return float(steps[k]), float(rel_error[k])

"""The error-versus-step plot of a ``SweepResult``, drawn with matplotlib (the optional ``report`` extra).

Drawing only: every number plotted was measured or fitted in ``difflab.measure.step_sweep``.
matplotlib is imported
on first use with the Agg backend (no display needed, same pixels everywhere); without it the error
says how to install it.
"""

from __future__ import annotations

import io

from difflab.errors import MissingExtra
from difflab.measure.step_sweep import EPS, SweepResult

FLOOR = 1e-17  # errors of exactly 0 are drawn at twice this (a log axis has no 0); the caption says so
# Colour and marker per scheme: forward/backward and central/complex-step have the same truncation
# constant up to sign, so their lines coincide and only distinct markers tell them apart.
STYLE = {"forward": ("#1f77b4", "o"), "backward": ("#17becf", "s"), "central": ("#2ca02c", "D"),
         "five-point": ("#ff7f0e", "v"), "complex-step": ("#d62728", "x"), "richardson": ("#9467bd", "^")}

LEGEND_TITLE = ("measured (solid)\nfitted models (dashed)\n\u2605 basin middle  \u25b2 theory step\n"
                "error 0: bottom row")


def require_matplotlib():
    """matplotlib.pyplot on the Agg backend, or a clear error naming the extra to install."""
    try:
        import matplotlib  # deferred: matplotlib is optional (the report extra) and slow to import
    except ImportError as err:
        raise MissingExtra("reports need matplotlib for their plots: pip install 'difflab[report]' "
                           "(or pip install matplotlib)") from err
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt  # deferred: pyplot only after the Agg backend is chosen above

    return plt


def sweep_png(result: SweepResult, dpi: int = 110) -> bytes:
    """Log-log plot: measured error per scheme (solid), fitted truncation and roundoff lines (dashed),
    the measured optimum (star) and the theoretical step (triangle on the axis), machine epsilon."""
    plt = require_matplotlib()
    fig, ax = plt.subplots(figsize=(8.6, 5.0), dpi=dpi)
    try:
        lo, hi = FLOOR, 1.0
        for s in result.schemes:
            color, marker = STYLE.get(s.scheme, ("#444444", "o"))
            errors = s.rel_error.tolist()
            line = [e if e > 0 else float("nan") for e in errors]  # 0 and nan break the line
            exact = [h for h, e in zip(s.steps.tolist(), errors, strict=True) if e == 0]
            hi = max(hi, *[e for e in line if e == e], 1.0)
            ax.loglog(s.steps, line, "-", marker=marker, color=color, ms=3.5, lw=1.5, mfc="white", mew=1.0,
                      label=f"{s.scheme} (h^{s.truncation_power})")
            if exact:
                ax.plot(exact, [FLOOR * 2] * len(exact), marker, color=color, ms=3.5, mfc="white", mew=1.0)
            for model in (s.truncation, s.roundoff):
                if model is not None:
                    ax.loglog(s.steps, model, "--", color=color, lw=0.9, alpha=0.6)
            ax.loglog([s.best_step], [max(s.best_error, FLOOR * 2)], "*", color=color, ms=14, mec="black",
                      mew=0.6)
            if s.steps.min() <= s.theory_step <= s.steps.max():
                ax.plot([s.theory_step], [lo * 1.3], "^", color=color, ms=9, mec="black", mew=0.6,
                        clip_on=False)
        ax.axhline(EPS, color="gray", lw=0.8, ls=":")
        ax.text(1.01, EPS, "machine eps", color="gray", ha="left", va="center", fontsize=8,
                transform=ax.get_yaxis_transform(), clip_on=False)
        ax.set_ylim(lo, min(hi * 3, 1e3))
        ax.set_xlabel("relative step  h / max(|x|, 1)")
        ax.set_ylabel("worst relative error")
        point = ", ".join(f"{v}={x:g}" for v, x in zip(result.variables, result.point, strict=True))
        ax.set_title(f"{result.what} error vs step at {point}", fontsize=11)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, frameon=False,
                  title=LEGEND_TITLE, title_fontsize=8)
    except BaseException:
        plt.close(fig)
        raise
    return png_bytes(fig, plt, dpi)


def png_bytes(fig, plt, dpi: int) -> bytes:
    """A finished figure as PNG bytes; the figure is closed either way (pyplot keeps every open one)."""
    try:
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
        return buf.getvalue()
    finally:
        plt.close(fig)

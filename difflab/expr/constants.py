"""Constants as the compiled NumPy code needs them: doubles where an exact SymPy number or a constant call
cannot be printed as NumPy code that runs."""

from __future__ import annotations

import numpy as np
import sympy

from difflab.primitives.heads import numpy_namespace


def inexact_big(expr: sympy.Expr) -> sympy.Expr:
    """Exact numbers beyond 53 bits as 17-digit floats.

    Why: lambdify prints ``2**1000`` as a Python int, and NumPy cannot take ``exp`` of an int that does
    not fit 64 bits (TypeError), nor convert ``10**324`` in ``5/10**324`` (OverflowError). The double
    nearest the exact value is what the compiled code computes with anyway.
    """
    big = {r: sympy.Float(r, 17) for r in expr.atoms(sympy.Rational)
           if max(abs(int(r.p)).bit_length(), int(r.q).bit_length()) > 53}
    return expr.xreplace(big) if big else expr


def numeric_constants(expr: sympy.Expr) -> sympy.Expr:
    """Calls of functions the NumPy namespace lacks, on constants, as 17-digit floats.

    Why: SymPy evaluates some calls of the table's functions into others that NumPy has no kernel for
    (``polygamma(2, 1)`` is ``-2*zeta(3)``); printed as a call, the compiled function raised NameError.
    The value is a constant, so its double is all the compiled code needs.
    """
    if not isinstance(expr, sympy.Basic):
        return expr
    known = numpy_namespace()
    calls = {c: sympy.Float(c.evalf(20), 17) for c in expr.atoms(sympy.Function)
             if c.is_number and type(c).__name__ not in known and not hasattr(np, type(c).__name__)
             and c.evalf(20).is_finite and c.evalf(20).is_real}
    return expr.xreplace(calls) if calls else expr

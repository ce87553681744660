"""Array-level symbolic derivatives (matrix calculus): readable formulas compiled at hand-written speed.

``ArrayFunction`` parses an expression over named vectors and matrices (``shapes=``), derives its
gradient, Jacobian and Hessian as array formulas (``A.T @ (A @ x)**3 + x``) with the one rule table of
``rules.py``, compiles them to NumPy with CSE (``program.py``) and runs every method on it
(``routes.py``). Layer: above ``expr`` and ``singular``, below ``methods``.
"""

from __future__ import annotations

from difflab.expr.function import install_array_functions
from difflab.matrix.function import ArrayFunction
from difflab.matrix.routes import ROUTES, estimate, reference

install_array_functions(ArrayFunction)  # dl.Function(..., shapes=...) builds an ArrayFunction

__all__ = ["ROUTES", "ArrayFunction", "estimate", "reference"]

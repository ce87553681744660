"""Activations and output heads of the networks, each written twice: as SymPy and over difflab.numpy.

Why twice: the AD and finite-difference routes differentiate the difflab.numpy form (through the rule
table), while the ``symbolic`` route -- seed 003's vectorized backpropagation -- needs sigma'(z) and
dE/dz at the output, which are *derived* here by ``sympy.diff`` from the SymPy form and compiled through
``difflab.expr.compile`` (to NumPy for ``symbolic``, to mpmath for ``mpmath``). The two forms are independent
definitions of the same functions; tests check they agree, so the routes cannot share a mistake.

A *head* is the output activation fused with its loss, written as a function of the output
pre-activation z (never of the activation a): the log-loss of a sigmoid output is
``y*softplus(-z) + (1-y)*softplus(z)``, finite for every z, where ``-y log(a) - (1-y) log(1-a)`` is
``0*inf`` once ``a`` rounds to 1. Its derivative, derived by SymPy, is ``sigmoid(z) - y``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import sympy

import difflab.numpy as dnp
from difflab.errors import InputError
from difflab.expr.compile import to_mpmath, to_numpy
from difflab.primitives.sympy_twins import sigmoid as sym_sigmoid
from difflab.primitives.sympy_twins import softplus as sym_softplus

Z = sympy.Symbol("z", real=True)


@dataclass(frozen=True)
class Activation:
    """phi(z) as SymPy (``sym``) and over difflab.numpy (``ops``); ``leak`` is leaky relu's slope."""

    name: str
    sym: Callable[[sympy.Expr, float], sympy.Expr]
    ops: Callable[[object, float], object]


ACTIVATIONS: dict[str, Activation] = {a.name: a for a in [
    Activation("identity", lambda z, k: z, lambda z, k: z),
    Activation("sigmoid", lambda z, k: sym_sigmoid(z), lambda z, k: dnp.sigmoid(z)),
    Activation("tanh", lambda z, k: sympy.tanh(z), lambda z, k: dnp.tanh(z)),
    # relu'(0) = 1/2 on both routes: SymPy's Heaviside(0) and the rule table's max at a tie.
    Activation("relu", lambda z, k: sympy.Max(z, 0), lambda z, k: dnp.maximum(z, 0.0)),
    Activation("leaky_relu", lambda z, k: sympy.Max(z, sympy.Float(k) * z),
               lambda z, k: dnp.maximum(z, k * z)),
    Activation("softplus", lambda z, k: sym_softplus(z), lambda z, k: dnp.softplus(z)),
]}

# (output activation, loss) pairs that make sense, and the per-output loss as a function of (z, y).
HEADS = {
    ("identity", "squared"), ("sigmoid", "squared"), ("tanh", "squared"), ("relu", "squared"),
    ("leaky_relu", "squared"), ("softplus", "squared"), ("sigmoid", "log"), ("softmax", "cross-entropy"),
}


def activation(name: str) -> Activation:
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise InputError(f"unknown activation '{name}'; choose one of: {', '.join(ACTIVATIONS)}") from None


def check_head(output: str, loss: str) -> None:
    if (output, loss) not in HEADS:
        pairs = ", ".join(f"{o}+{lo}" for o, lo in sorted(HEADS))
        raise InputError(f"output '{output}' with loss '{loss}' is not supported; choose one of: {pairs}")


def head_sym(output: str, loss: str, k: int, leak: float) -> tuple[sympy.Expr, list, list]:
    """Per-sample loss E(z_1..z_k, y_1..y_k) as SymPy, with its z and y symbols."""
    zs = list(sympy.symbols(f"z0:{k}", real=True))
    ys = list(sympy.symbols(f"y0:{k}", real=True))
    if loss == "cross-entropy":
        # -sum y log softmax(z); shift invariant, so callers feed z - max(z) (no overflow).
        expr = (-sum(y * z for y, z in zip(ys, zs, strict=True))
                + sum(ys) * sympy.log(sum(sympy.exp(z) for z in zs)))
    elif loss == "log":
        expr = sum(y * sym_softplus(-z) + (1 - y) * sym_softplus(z) for y, z in zip(ys, zs, strict=True))
    else:
        phi = ACTIVATIONS[output].sym
        expr = sum((y - phi(z, leak)) ** 2 / 2 for y, z in zip(ys, zs, strict=True))
    return expr, zs, ys


def head_ops(output: str, loss: str, Zout, Y, leak: float):
    """Sum over samples of the per-sample loss, over difflab.numpy (what the AD routes differentiate)."""
    if loss == "cross-entropy":
        return -dnp.sum(Y * dnp.log_softmax(Zout, axis=-1))
    if loss == "log":
        return dnp.sum(Y * dnp.softplus(-Zout) + (1.0 - Y) * dnp.softplus(Zout))
    r = Y - ACTIVATIONS[output].ops(Zout, leak)
    return 0.5 * dnp.sum(r * r)


# --------------------------------------------------------------------------------- compiled forms
@dataclass(frozen=True)
class Compiled:
    """Elementwise phi and phi' and the head's loss and dE/dz, for one backend (NumPy or mpmath)."""

    phi: Callable
    dphi: Callable
    head_value: Callable      # (Z (m,k), Y (m,k)) -> (m,)
    head_delta: Callable      # (Z (m,k), Y (m,k)) -> (m,k)


def _shift(loss: str, Zout):
    if loss != "cross-entropy":
        return Zout
    return Zout - Zout.max(axis=1, keepdims=True)


@cache
def compiled_numpy(hidden: str, output: str, loss: str, k: int, leak: float) -> Compiled:
    """sigma'(z) and dE/dz^L derived by SymPy and compiled to NumPy (the ``symbolic`` route)."""
    phi = activation(hidden).sym(Z, leak)
    fphi, fdphi = to_numpy(phi, [Z]), to_numpy(sympy.diff(phi, Z), [Z])
    expr, zs, ys = head_sym(output, loss, k, leak)
    value = to_numpy(expr, zs + ys)
    delta = to_numpy([sympy.diff(expr, z) for z in zs], zs + ys)

    def head_value(Zout, Y):
        Zs = _shift(loss, Zout)
        return np.asarray(value(*Zs.T, *Y.T), dtype=float)

    def head_delta(Zout, Y):
        Zs = _shift(loss, Zout)
        return np.stack([np.asarray(c, dtype=float) for c in delta(*Zs.T, *Y.T)], axis=1)

    return Compiled(fphi, fdphi, head_value, head_delta)


@cache
def compiled_mpmath(hidden: str, output: str, loss: str, k: int, leak: float) -> Compiled:
    """The same derivatives compiled to mpmath, applied entry by entry to object arrays of mpf."""
    phi = activation(hidden).sym(Z, leak)
    fphi = np.frompyfunc(to_mpmath(phi, [Z]), 1, 1)
    fdphi = np.frompyfunc(to_mpmath(sympy.diff(phi, Z), [Z]), 1, 1)
    expr, zs, ys = head_sym(output, loss, k, leak)
    value = to_mpmath(expr, zs + ys)
    delta = to_mpmath([sympy.diff(expr, z) for z in zs], zs + ys)

    def head_value(Zout, Y):
        Zs = _shift(loss, Zout)
        return np.array([value(*z, *y) for z, y in zip(Zs, Y, strict=True)], dtype=object)

    def head_delta(Zout, Y):
        Zs = _shift(loss, Zout)
        return np.array([list(delta(*z, *y)) for z, y in zip(Zs, Y, strict=True)], dtype=object)

    return Compiled(fphi, fdphi, head_value, head_delta)


def derivative_text(name: str, leak: float = 0.01) -> str:
    """sigma'(z) as SymPy derives it (the tour prints these next to the seed's sigma(1 - sigma))."""
    return str(sympy.diff(activation(name).sym(Z, leak), Z))

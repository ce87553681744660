"""Probe plans of finite differences: built once per (dimension, scheme, order), then used as arrays.

A plan is everything about a finite-difference gradient or Hessian that does not depend on the point
or the step: which probe points ``x + sum k*h_i*e_i`` exist (deduplicated), which weighted probe values
sum to which entry, which lines of probes measure the noise. Building it walks Python tuples (a dict
of probe keys); using it is a handful of NumPy calls (scatter the steps into the probe matrix, one
``bincount`` per sum). Why cache: rebuilding the plan per call was ~85% of a central-difference
gradient at n=100, ten times the cost of evaluating f at its 800 probes.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, lru_cache

import numpy as np

from difflab.engines.fd_noise import ecnoise_rows
from difflab.engines.stencils import (
    COMPLEX_STEP,
    FIRST,
    RICHARDSON_STEPS,
    SECOND,
    float_weights,
    stencil,
    truncation,
)


class Plan:
    """Deduplicated probe points and the linear functionals mapping their values to derivatives.

    A probe key is ``((imag_dir, imag_mult), ((i, k), ...))``: the point x + sum k*h_i*e_i (k integer,
    so k*h_i is exact) plus ``i*imag_mult*t_dir`` in one direction for complex steps. A term
    ``(group, entry, probe, weight)`` contributes ``weight * value(probe) / den[group, entry]``, where
    ``den = mult[group, entry] * prod(h[v] for v in den_vars[entry])`` (h enters only at call time).
    """

    def __init__(self, ngroups: int, nentries: int, den_vars: Sequence[np.ndarray] = ()):
        self.keys: dict[tuple, int] = {}
        self.terms: list[tuple[int, int, int, float]] = []
        self.aux: list[tuple[int, int, float]] = []  # (variable, probe, weight*h): a gradient for |x g|
        self.mult = np.ones((ngroups, nentries))
        self.den_vars = tuple(np.asarray(v, dtype=int) for v in den_vars)

    def probe(self, real: Sequence[tuple[int, int]], imag: tuple[int, int] = (-1, 0)) -> int:
        key = (imag, tuple(sorted((i, k) for i, k in real if k != 0)))
        return self.keys.setdefault(key, len(self.keys))

    def line(self, g: int, e: int, i: int, d: int, offsets: tuple[int, ...], mult: int,
             imag: tuple[int, int] = (-1, 0)) -> None:
        for o, w in zip(offsets, float_weights(d, tuple(offsets)), strict=True):
            if w:
                self.terms.append((g, e, self.probe([(i, o * mult)], imag), w))

    def cross(self, g: int, e: int, i: int, j: int, offsets: tuple[int, ...], mult: int) -> None:
        w1 = stencil(1, offsets)
        for a, wa in zip(offsets, w1, strict=True):
            for b, wb in zip(offsets, w1, strict=True):
                if wa and wb:
                    self.terms.append((g, e, self.probe([(i, a * mult), (j, b * mult)]), float(wa * wb)))

    def frozen(self) -> Plan:
        """The plan as arrays (called once, when it is complete)."""
        keys = self.keys = tuple(self.keys)
        self.m, (self.ng, self.ne) = len(keys), self.mult.shape
        G, E, P, self.W = np.array(self.terms, dtype=float).reshape(-1, 4).T
        self.G, self.E, self.P = G.astype(int), E.astype(int), P.astype(int)
        self.GE = self.G * self.ne + self.E
        uniq, self.inv = np.unique(self.E * self.m + self.P, return_inverse=True)
        self.uniq_e, self.uniq_p = uniq // self.m, uniq % self.m
        I, Pa, Wa = np.array(self.aux, dtype=float).reshape(-1, 3).T
        self.aux = (I.astype(int), Pa.astype(int), Wa) if self.aux else None
        self.idir, self.imult = np.array([key[0] for key in keys], dtype=int).reshape(-1, 2).T
        cells = [(r, i, k) for r, (_, real) in enumerate(keys) for i, k in real]
        self.rows, self.vars, self.ks = np.array(cells, dtype=int).reshape(-1, 3).T
        self.lines = _noise_lines(keys)
        return self

    def den(self, h: np.ndarray) -> np.ndarray:
        den = self.mult
        for v in self.den_vars:
            den = den * h[v]
        return den

    def points(self, x: np.ndarray, h: np.ndarray, t: np.ndarray | None, out: np.ndarray) -> np.ndarray:
        """Fill ``out`` (m, n) with the probe points at real steps h (multiples k*h are exact) and, when
        ``out`` is complex, imaginary steps t."""
        out[...] = x
        out[self.rows, self.vars] = x[self.vars] + self.ks * h[self.vars]
        if out.dtype.kind == "c":
            on = self.idir >= 0
            out[np.flatnonzero(on), self.idir[on]] += 1j * self.imult[on] * t[self.idir[on]]
        return out

    def noise(self, v: np.ndarray, bad: np.ndarray) -> tuple[float, float]:
        """Noise of one probe value from the lines of probes without a bad one: the largest highest
        difference (on m probes ``x + o_k h e_j``: ``h**(m-1) f^(m-1)`` plus noise, over ``||w||_2`` the
        noise per value); and what of it looks like noise: all of it on short lines; on lines of 6 or
        more probes (five-point, Richardson, complex-step Hessians), mostly the smooth part at their
        wide steps, what ``fd_noise.ecnoise``'s level test finds (a hint only: f turning a few
        radians between probes passes that test as well as noise does)."""
        level = suspect = 0.0
        for rows, w, norm, offs in self.lines:
            rows = rows[~bad[rows].any(axis=1)]
            if rows.size:
                each = float(np.abs((v[rows] * w).sum(axis=1)).max()) / norm
                level = max(level, each)
                suspect = max(suspect, float(ecnoise_rows(v[rows], offs)[0].max()) if len(offs) > 5 else each)
        return level, suspect


def _noise_lines(keys: tuple) -> list[tuple[np.ndarray, np.ndarray, float, tuple]]:
    """The lines of probes along one coordinate (complex-step gradient: along the imaginary step), with the
    centre when probed; grouped by offsets: (rows, highest difference's weights, norm, offsets)."""
    lines: dict[tuple, list[tuple[int, int]]] = {}
    for r, (imag, real) in enumerate(keys):
        if len(real) == 1:
            lines.setdefault((imag, real[0][0]), []).append((real[0][1], r))
        elif not real:  # complex-step gradient: Im f / t at t and 3t differ by noise alone
            lines.setdefault(((imag[0], 0), -1), []).append((imag[1], r))
    centre = {imag: r for r, (imag, real) in enumerate(keys) if not real}
    groups: dict[tuple, list[tuple[int, ...]]] = {}
    for (imag, _), pts in lines.items():
        pts = pts + ([(0, centre[imag])] if imag in centre and imag[0] < 0 else [])
        if len(pts) >= (3 if imag[1] or imag[0] < 0 else 2):
            offs, rows = zip(*sorted(pts), strict=True)
            groups.setdefault(offs, []).append(rows)
    out = []
    for offs, rows in groups.items():
        w = np.array(float_weights(len(offs) - 1, offs))
        out.append((np.array(rows, dtype=int), w, float(np.linalg.norm(w)), offs))
    return out


@cache
def truncation_order(scheme: str, k: int) -> int:
    """Truncation order of the reported value (k = 1: first-derivative stencil, 2: diagonal one)."""
    if scheme == "richardson":
        return 2 * (len(RICHARDSON_STEPS) - 1)
    return truncation(k, (FIRST if k == 1 else SECOND)[scheme])[0]


def _levels(scheme: str) -> list[int]:
    return list(RICHARDSON_STEPS) if scheme == "richardson" else [1, 2]


@lru_cache(maxsize=32)
def gradient_plan(n: int, scheme: str) -> tuple[Plan, np.ndarray]:
    """The plan of a gradient in n variables and the truncation order per entry."""
    levels = _levels(scheme)
    plan = Plan(len(levels), n, [np.arange(n)])
    for g, s in enumerate(levels):
        plan.mult[g] = s
        for i in range(n):
            plan.line(g, i, i, 1, FIRST[scheme], s)
    return plan.frozen(), np.full(n, float(truncation_order(scheme, 1)))


@lru_cache(maxsize=8)
def hessian_plan(n: int, scheme: str) -> tuple[Plan, np.ndarray]:
    """The plan of the upper triangle (``np.triu_indices`` order) of a Hessian in n variables."""
    iu, ju = np.triu_indices(n)
    levels = _levels(scheme)
    if scheme == "complex-step":  # d/dx_j of Im f(x + i t e_i + ...)/t by the stencil in x_j
        plan = Plan(len(levels), iu.size, [ju])
        for g, s in enumerate(levels):
            plan.mult[g] = s
            for e, (i, j) in enumerate(zip(iu.tolist(), ju.tolist(), strict=True)):
                plan.line(g, e, j, 1, FIRST[scheme], s, imag=(i, 1))
        return plan.frozen(), np.full(iu.size, float(truncation_order(scheme, 1)))
    plan = Plan(len(levels), iu.size, [iu, ju])
    for g, s in enumerate(levels):
        plan.mult[g] = s * s
        for e, (i, j) in enumerate(zip(iu.tolist(), ju.tolist(), strict=True)):
            if i == j:
                plan.line(g, e, i, 2, SECOND[scheme], s)
            else:
                plan.cross(g, e, i, j, FIRST[scheme], s)
    for i in range(n):
        for o, w in zip(FIRST[scheme], float_weights(1, FIRST[scheme]), strict=True):
            if w:
                plan.aux.append((i, plan.probe([(i, o)]), w))
    p1, p2 = float(truncation_order(scheme, 1)), float(truncation_order(scheme, 2))
    return plan.frozen(), np.where(iu == ju, p2, p1)


@lru_cache(maxsize=32)
def complex_gradient_plan(n: int) -> Plan:
    """Im f(x + i s t e_i) for s = 1, 3 (3t, not 2t: a power of two would repeat every rounding)."""
    plan = Plan(2, n)
    for g, s in enumerate((1, 3)):
        for i in range(n):
            plan.terms.append((g, i, plan.probe((), (i, s)), 1.0))
    return plan.frozen()


def complex_hessian_step(x: np.ndarray) -> np.ndarray:
    """The imaginary step of a complex-step Hessian: a power of two, so Im f / t keeps the granularity."""
    return np.exp2(np.round(np.log2(COMPLEX_STEP * np.maximum(np.abs(x), 1.0))))

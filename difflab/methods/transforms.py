"""JAX-style transforms of Python functions: ``grad``, ``value_and_grad``, ``jvp``, ``vjp``, ``hvp``, and
the Python-function side of ``dl.jacobian`` / ``dl.hessian`` (``methods.jacobians`` joins both sides).

JAX's conventions: ``argnums`` (an int or a tuple of ints) picks the argument(s) differentiated, each one
array or a pytree (list/tuple/dict) of arrays, and the derivative comes back in the same structure;
``has_aux=True`` means the function returns ``(output, aux)`` and ``aux`` is handed back undifferentiated.
``grad``'s ``method`` is any registry name with an array route ("reverse", "forward", every finite-
difference scheme), so one loss can be differentiated every way and compared -- the point of the lab.

Every transform returns traced values when its inputs are traced, so they nest in any order and to any
depth: ``dl.grad(dl.grad(f, method="forward"), method="reverse")`` is reverse over forward
(``engines.nested`` says why no perturbation confusion can arise).  Finite differences run on numbers
only: inside an AD transform they are refused in words.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from difflab.engines import nested, pytree, reverse
from difflab.engines.replay import Replay
from difflab.errors import InputError
from difflab.expr.function import Function
from difflab.expr.vector import VectorFunction
from difflab.methods import higher, registry
from difflab.methods.routes import DerivativeWarning
from difflab.numpy import Box, is_sympy, ops, shape

__all__ = ["DerivativeWarning", "grad", "grad_methods", "hessian", "hvp", "jacobian", "jvp", "nestings",
           "value_and_grad", "vjp"]

DEFAULT = "reverse"
AD = ("forward", "reverse")
_NESTINGS = {f"{o}-over-{i}": (o, i) for o in AD for i in AD} | {"forward": AD[:1] * 2, "reverse": AD[1:] * 2}


def grad_methods() -> tuple[str, ...]:
    """The methods ``dl.grad`` accepts (those with an array route), the default first."""
    return (DEFAULT, *(n for n in registry.names() if n != DEFAULT and registry.get(n).array is not None))


def nestings() -> tuple[str, ...]:
    """Second-order methods of ``dl.hessian(fn)`` / ``dl.hvp``: outer over inner ("forward" = ff)."""
    return tuple(_NESTINGS)


def nesting(method: str, who: str) -> tuple[str, str]:
    """``(outer, inner)`` of a second-order method name, or one line naming the choices."""
    if method not in _NESTINGS:
        raise InputError(f"{who}: unknown method {method!r}; choose one of: {', '.join(_NESTINGS)}")
    return _NESTINGS[method]


# -- argument selection, auxiliary outputs, output checks -------------------------------------------

def check_argnums(argnums: Any, who: str) -> None:
    ok = isinstance(argnums, int) and not isinstance(argnums, bool)
    if isinstance(argnums, tuple | list) and argnums:
        ok = all(isinstance(a, int) and not isinstance(a, bool) for a in argnums)
    if not ok:
        raise InputError(f"{who}: argnums must be an int or a non-empty tuple of ints; got {argnums!r}")


def positions(args: tuple, argnums: Any, who: str) -> list[int]:
    """The positions ``argnums`` picks among ``args`` (checked against how many there are)."""
    for a in (argnums if isinstance(argnums, tuple | list) else (argnums,)):
        if not -len(args) <= a < len(args):
            raise InputError(f"{who}: argnums={argnums!r} is out of range: the function was called with "
                             f"{len(args)} positional argument{'s' * (len(args) != 1)}")
    return [a % len(args) for a in (argnums if isinstance(argnums, tuple | list) else (argnums,))]


def select(fn: Callable, args: tuple, kw: dict, argnums: Any, who: str) -> tuple[Any, Callable]:
    """The differentiated argument(s) as one pytree, and ``fn`` as a function of that pytree alone."""
    many = isinstance(argnums, tuple | list)
    pos = positions(args, argnums, who)
    packed = tuple(args[i] for i in pos) if many else args[pos[0]]

    def of(p):
        full = list(args)
        for i, v in zip(pos, p if many else (p,), strict=True):
            full[i] = v
        return fn(*full, **kw)
    return packed, of


def level(tree: Any) -> int:
    """The highest trace level among a pytree's leaves (0: nothing traced)."""
    return max((leaf.level for leaf in pytree.flatten(tree)[0] if isinstance(leaf, Box)), default=0)


def strip(tree: Any, above: int) -> Any:
    """Leaves unwrapped down to the traces at or below ``above`` (auxiliary data is not differentiated)."""
    def primal(v):
        while isinstance(v, Box) and v.level > above:
            v = v.value
        return v
    leaves, treedef = pytree.flatten(tree)
    return pytree.unflatten(treedef, [primal(v) for v in leaves])


class Aux:
    """``fn`` returning ``(output, aux)`` as a function returning ``output``; ``aux`` is kept from the last
    call (every route's last call is at the point itself: finite differences evaluate f there last)."""

    def __init__(self, fn: Callable, who: str):
        self.fn, self.who, self.value = fn, who, None

    def __call__(self, *args, **kw):
        out = self.fn(*args, **kw)
        if not (isinstance(out, tuple | list) and len(out) == 2):
            raise InputError(f"{self.who}(has_aux=True): the function must return a pair (output, aux); it "
                             f"returned {_describe(out)}")
        self.value = out[1]
        return out[0]


def _describe(out: Any) -> str:
    if isinstance(out, tuple | list):
        return f"a {type(out).__name__} of {len(out)}"
    return f"shape {shape(out)}" if isinstance(out, Box | np.ndarray) else f"a {type(out).__name__}"


def _short(value: Any) -> str:
    text = " ".join(repr(value).split())
    return text if len(text) <= 60 else text[:57] + "..."


def check_output(out: Any, name: str, who: str) -> Any:
    """A function that returns nothing usable is told so in words, not given zeros or a deep error."""
    for leaf in pytree.flatten(out)[0]:
        if leaf is None:
            raise InputError(f"{who}: {name} returned None; it must return a number (a missing 'return'?)")
        if isinstance(leaf, str | bytes):
            raise InputError(f"{who}: {name} returned a string ({str(leaf)[:40]!r}); it must return a number")
        if not isinstance(leaf, Box | numbers.Number | np.ndarray | np.generic):
            raise InputError(f"{who}: {name} returned a {type(leaf).__name__}; it must return a number")
        if isinstance(leaf, np.ndarray | np.generic) and np.asarray(leaf).dtype.kind not in "biufc":
            raise InputError(f"{who}: {name} returned an array of {np.asarray(leaf).dtype}; it must return "
                             "a number")
    return out


def _scalar_checked(of: Callable, name: str, who: str, outer: int) -> Callable:
    """``of`` (the function of the differentiated argument) with its output checked: a number, a scalar,
    and traced by this transform (else it does not depend on the argument: there is nothing to take)."""
    def checked(p):
        out = check_output(of(p), name, who)
        if isinstance(out, tuple | list | dict) or shape(out) not in ((), (1,)):
            raise InputError(f"{who} needs a scalar-valued function; {name} returned {_describe(out)} "
                             "(dl.jacobian takes vector outputs)")
        if level(p) > outer and level(out) <= outer:
            raise InputError(f"{who}: {name} returned {_short(out)}, which does not depend on the "
                             "differentiated argument (a constant, or it went through float() / plain "
                             "NumPy); there is no derivative to take")
        return out
    return checked


# -- the transforms ----------------------------------------------------------------------------------

def value_and_grad(fn: Callable, argnums: Any = 0, has_aux: bool = False, method: str = DEFAULT,
                   replay: bool = False) -> Callable:
    """``fn -> (*args, **kw) -> (fn(*args), d fn / d args[argnums])`` (``((value, aux), grad)`` with
    ``has_aux``).  ``dl.value_and_grad(fn, "forward")`` -- a method name second -- still works.

    ``replay=True`` (reverse mode only) is JAX's ``jit`` for the reverse engine: ``fn`` is recorded once
    per input signature and replayed without a tape afterwards, giving the tape's numbers
    (``engines.replay``: when they are bit for bit the same, which functions are refused and fall back
    to the tape, the promise of purity it needs); ``wrapped.replay`` reports what happened (``traces``,
    ``refused``)."""
    if isinstance(argnums, str):  # the older positional form value_and_grad(fn, method)
        argnums, method = 0, argnums
    route = registry.get(method).array if method in registry.names() else None
    if route is None:
        raise InputError(f"unknown method {method!r} for grad; choose one of: {', '.join(grad_methods())}")
    check_argnums(argnums, "grad")
    numeric = method not in AD
    if replay not in (False, True):
        raise InputError(f"grad: replay must be True or False; got {replay!r}")
    if replay and method != "reverse":
        raise InputError(f"grad: replay=True replays the reverse engine's trace; method={method!r} cannot "
                         "be replayed (use method='reverse')")
    name = getattr(fn, "__name__", "the function")
    replayed = Replay(_traceable(fn, argnums, has_aux, name), "value_and_grad") if replay else None

    def wrapped(*args, **kw):
        if replayed is not None and args:
            pos = positions(args, argnums, "grad")
            got = replayed(args, kw, pos)
            if got is not None:
                loss, aux, g = got
                return ((loss, aux) if has_aux else loss), (tuple(g) if isinstance(argnums, tuple | list)
                                                            else g[0])
            out = taped(*args, **kw)
            replayed.confirm()
            return out
        return taped(*args, **kw)

    def taped(*args, **kw):
        main = Aux(fn, "grad") if has_aux else fn
        packed, of = select(main, args, kw, argnums, "grad")
        outer = level((args, kw))
        if numeric and outer:
            raise InputError(f"grad: method {method!r} works on numbers and cannot run inside another "
                             "forward/reverse transform (its argument is traced); use 'forward' or 'reverse' "
                             "for the inner derivative")
        value, g = route(_scalar_checked(of, name, "grad", outer))(packed)
        return ((value, strip(main.value, outer)) if has_aux else value), g
    wrapped.replay = replayed
    return wrapped


def _traceable(fn: Callable, argnums: Any, has_aux: bool, name: str) -> Callable:
    """``fn`` as the replay engine traces it: ``(args, kw) -> (loss, aux)``, with the checks of the taped
    route (a scalar that depends on the argument, a pair with ``has_aux``)."""
    def traced(args, kw):
        main = Aux(fn, "grad") if has_aux else fn
        packed, of = select(main, args, kw, argnums, "grad")
        return _scalar_checked(of, name, "grad", 0)(packed), (main.value if has_aux else None)
    return traced


def grad(fn: Callable, argnums: Any = 0, has_aux: bool = False, method: str = DEFAULT,
         replay: bool = False) -> Callable:
    """``fn -> (*args, **kw) -> d fn / d args[argnums]`` (``(grad, aux)`` with ``has_aux``; ``replay``:
    see ``value_and_grad``)."""
    vg = value_and_grad(fn, argnums, has_aux, method, replay)

    def wrapped(*args, **kw):
        value, g = vg(*args, **kw)
        return (g, value[1]) if has_aux else g
    wrapped.replay = vg.replay
    return wrapped


def jvp(fn: Callable, primals: Any, tangents: Any, has_aux: bool = False) -> tuple:
    """``(fn(*primals), J tangents)`` by forward mode (``(out, tangent, aux)`` with ``has_aux``)."""
    for what, v in (("primals", primals), ("tangents", tangents)):
        if not isinstance(v, tuple | list):
            raise InputError(f"jvp: {what} must be a tuple with one entry per argument of the function; got "
                             f"{_describe(v)}")
    if len(primals) != len(tangents):
        raise InputError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    main = Aux(fn, "jvp") if has_aux else fn
    outer = level((primals, tangents))
    out, tangent = nested.jvp(lambda *a: check_output(main(*a), getattr(fn, "__name__", "the function"),
                                                      "jvp"), tuple(primals), tuple(tangents))
    return (out, tangent, strip(main.value, outer)) if has_aux else (out, tangent)


def vjp(fn: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """``(fn(*primals), pullback)`` by reverse mode; ``pullback(ct)`` is a tuple, one cotangent per primal
    (``(out, pullback, aux)`` with ``has_aux``)."""
    if not primals:
        raise InputError("vjp: give the point, one primal per argument: dl.vjp(fn, x, ...)")
    main = Aux(fn, "vjp") if has_aux else fn
    outer = level(primals)
    name = getattr(fn, "__name__", "the function")
    out, pullback = reverse.vjp(lambda p: check_output(main(*p), name, "vjp"), tuple(primals))
    return (out, pullback, strip(main.value, outer)) if has_aux else (out, pullback)


def _vdot(a: Any, b: Any):
    """Sum of the entrywise products of two pytrees of the same structure (traced if either is)."""
    pairs = zip(pytree.flatten(a)[0], pytree.flatten(b)[0], strict=True)
    return sum((ops.sum(x * y) for x, y in pairs), 0.0)


def hvp(fn: Callable, primals: Any, tangents: Any, method: str = "forward-over-reverse") -> Any:
    """Hessian-vector product of a scalar ``fn``: ``sum_j d/dx_j grad_0 fn . tangents[j]`` -- JAX's
    ``jvp(grad(f), primals, tangents)[1]`` -- by any nesting (``nestings()``), shaped like ``primals[0]``."""
    outer, inner = nesting(method, "hvp")
    if not isinstance(primals, tuple | list) or not isinstance(tangents, tuple | list):
        raise InputError("hvp: primals and tangents must be tuples, one entry per argument of the function")
    if outer == "forward":
        return jvp(grad(fn, method=inner), primals, tangents)[1]
    everything = tuple(range(len(primals)))

    def directional(*args):  # sum_j <grad_j fn, t_j>; its gradient in x_0 is H v by symmetry
        return _vdot(grad(fn, argnums=everything, method=inner)(*args), tuple(tangents))
    return grad(directional, method="reverse")(*primals)


# -- dl.jacobian / dl.hessian: a Function at a point (an Estimate), or a Python function (a transform) --

def _is_python_function(F: Any) -> bool:
    return callable(F) and not isinstance(F, Function | VectorFunction | str) and not is_sympy(F)


def jacobian(F: Any, x: Any = None, method: str | None = None, *, argnums: Any = 0,
             has_aux: bool = False, **options: Any) -> Any:
    """Two uses under one name.  ``dl.jacobian(F, x, method="symbolic")`` -- F a Function, expression text or
    a function of named scalar variables, x a point -- is the Jacobian there as an ``Estimate`` by any
    registered method.  ``dl.jacobian(fn, method="reverse"|"forward", argnums=..., has_aux=...)`` -- no point
    -- is JAX's jacrev / jacfwd: a function returning the Jacobian of a Python function over pytrees, per
    output leaf the argument's pytree of arrays shaped ``out.shape + arg.shape``."""
    if options and x is None and _is_python_function(F):
        raise InputError(f"jacobian of a Python function: unknown option(s) {', '.join(sorted(options))}")
    if x is not None or not _is_python_function(F):
        if argnums != 0 or has_aux:
            raise InputError("jacobian: argnums and has_aux belong to the transform form, dl.jacobian(fn) "
                             "with no point")
        if x is None:
            raise InputError("jacobian: a Function or an expression needs a point: dl.jacobian(F, x)")
        return higher.jacobian(F, x, method=method or "symbolic", **options)
    method = method or "reverse"
    if method not in AD:
        raise InputError(f"jacobian of a Python function: method must be 'forward' (jacfwd) or 'reverse' "
                         f"(jacrev); got {method!r}")
    check_argnums(argnums, "jacobian")
    route = nested.forward_jacobian if method == "forward" else nested.reverse_jacobian
    name = getattr(F, "__name__", "the function")

    def jac(*args, **kw):
        main = Aux(F, "jacobian") if has_aux else F
        packed, of = select(main, args, kw, argnums, "jacobian")
        outer = level((args, kw))
        _, J = route(lambda p: check_output(of(p), name, "jacobian"), packed)
        return (J, strip(main.value, outer)) if has_aux else J
    return jac


def hessian(f: Any, x: Any = None, method: str | None = None, *, argnums: Any = 0,
            has_aux: bool = False, **options: Any) -> Any:
    """``dl.hessian(f, x, method="symbolic")``: the Hessian of a Function at a point (an ``Estimate``).
    ``dl.hessian(fn, method="forward-over-reverse", argnums=...)`` -- no point -- is JAX's hessian: the
    Jacobian of the gradient, by any nesting of the two modes (``nestings()``)."""
    if options and x is None and _is_python_function(f):
        raise InputError(f"hessian of a Python function: unknown option(s) {', '.join(sorted(options))}")
    if x is not None or not _is_python_function(f):
        if argnums != 0 or has_aux:
            raise InputError("hessian: argnums and has_aux belong to the transform form, dl.hessian(fn) with "
                             "no point")
        if x is None:
            raise InputError("hessian: a Function or an expression needs a point: dl.hessian(f, x)")
        return registry.hessian(f, x, method=method or "symbolic", **options)
    outer, inner = nesting(method or "forward-over-reverse", "hessian")
    first = grad(f, argnums=argnums, has_aux=has_aux, method=inner)
    return jacobian(first, method=outer, argnums=argnums, has_aux=has_aux)

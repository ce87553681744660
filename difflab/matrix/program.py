"""Formulas compiled to NumPy with common-subexpression elimination, and run over other number types.

``compile_program`` turns IR roots into a list of NumPy steps (one per node; a node used twice is
computed once, which is CSE for free on the interned DAG) plus the equivalent Python source for
``--verbose``. The steps are run by a short loop instead of ``exec``-ing the source, so no text is ever
executed; the source is generated from the same steps, so it shows exactly what runs. Patterns that
would waste work are compiled to what a person writes by hand: ``diag(w) @ M`` is ``w[:, None] * M``,
``M @ diag(w)`` is ``M * w``, ``ones(m) @ M`` is ``M.sum(axis=0)``.

``evaluate`` interprets the same IR over ``difflab.numpy`` (so the AD engines differentiate the original
expression, not our formula) and over mpmath object arrays (the high-precision reference).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import reduce

import mpmath
import numpy as np

import difflab.numpy as dnp
from difflab.matrix.algebra import Node, postorder
from difflab.primitives.table import RULES as PRIMITIVES


def _float(value: Fraction) -> float:
    return value.numerator / value.denominator


def _num_text(value: float) -> str:
    return str(int(value)) if value == int(value) and abs(value) < 1e15 else repr(value)


def _rowscale(w, m):
    return w[:, None] * m if np.ndim(m) == 2 else w * m


def _colsum(m):
    return np.add.reduce(m, axis=0)


@dataclass(frozen=True)
class _Step:
    node: Node
    fn: Callable
    args: tuple[Node, ...]
    template: Callable[[list[str]], str]  # operand texts -> expression text
    needs: tuple[int, ...] = ()  # per operand: the binding level below which it is parenthesized
    level: int = 4               # binding level of the result: 1 sum, 2 product, 3 power, 4 atom


ADD, PROD, POW, ATOM = 1, 2, 3, 4


def _sum_text(t: list[str]) -> str:
    return t[0] + "".join(f" - {x[1:]}" if x.startswith("-") else f" + {x}" for x in t[1:])


def _product_text(t: list[str]) -> str:
    if t[0].startswith("(-") and t[0][2:-1].replace(".", "").replace("e", "").isdigit():
        t = [t[0][1:-1]] + t[1:]  # a leading negative number needs no parentheses
    return "-" + " * ".join(t[1:]) if t[0] == "-1" else " * ".join(t)


def _dims_call(fn: Callable, shape: tuple) -> Callable:
    return lambda dims: fn(tuple(d if isinstance(d, int) else dims[d] for d in shape))


def _step(node: Node) -> _Step:
    """How one node is computed: a NumPy callable over its operands, and its source text."""
    op, args = node.op, node.args
    if op == "matmul":
        left, right = args
        if left.op == "diag" and left.args[0].ndim == 1:
            return _Step(node, _rowscale, (left.args[0], right),
                         lambda t: f"{t[0]}[:, None] * {t[1]}" if right.ndim == 2 else f"{t[0]} * {t[1]}",
                         (ATOM, POW), PROD)
        if right.op == "diag" and right.args[0].ndim == 1:
            return _Step(node, operator.mul, (left, right.args[0]), lambda t: f"{t[0]} * {t[1]}",
                         (PROD, POW), PROD)
        if left.op == "ones" and left.ndim == 1 and right.ndim == 2:
            return _Step(node, _colsum, (right,), lambda t: f"{t[0]}.sum(axis=0)", (ATOM,))
        return _Step(node, operator.matmul, args, lambda t: f"{t[0]} @ {t[1]}", (PROD, POW), PROD)
    levels = {"add": ((PROD,) * len(args), ADD), "mul": ((POW,) * len(args), PROD),
              "pow": ((ATOM, ATOM), POW), "transpose": ((ATOM,), ATOM)}
    simple = {
        "add": (lambda *xs: reduce(operator.add, xs), _sum_text),
        "mul": (lambda *xs: reduce(operator.mul, xs), _product_text),
        "pow": (operator.pow, lambda t: f"{t[0]} ** {t[1]}"),
        "transpose": (lambda x: x.T, lambda t: f"{t[0]}.T"),
        "sum": (lambda x: np.add.reduce(x, axis=None), lambda t: f"np.sum({_bare(t[0])})"),
        "diag": (np.diag, lambda t: f"np.diag({_bare(t[0])})"),
        "inv": (np.linalg.inv, lambda t: f"np.linalg.inv({_bare(t[0])})"),
        "outer": (np.multiply.outer, lambda t: f"np.outer({_bare(t[0])}, {_bare(t[1])})"),
    }
    if op in simple:
        fn, template = simple[op]
        return _Step(node, fn, args, template, *levels.get(op, ((), ATOM)))
    if op == "func":
        return _Step(node, PRIMITIVES[node.data].numpy, args, lambda t: f"{node.data}({_bare(t[0])})")
    shape_text = ", ".join(str(d) for d in node.shape)
    makers = {"eye": (lambda s: np.eye(s[0]), f"np.eye({node.shape[0] if node.shape else ''})"),
              "ones": (np.ones, f"np.ones(({shape_text},))"),
              "zero": (np.zeros, f"np.zeros(({shape_text},))")}
    fn, text = makers[op]
    return _Step(node, _dims_call(fn, node.shape), (), lambda t, text=text: text)


@dataclass
class Program:
    """Compiled formulas: ``program(env, dims)`` returns one array per root.

    The steps run over a register list (inputs, then constants, then one register per step), each step
    reading its operands by index: the per-step cost is one call, which keeps a small formula near the
    speed of the same NumPy written by hand."""

    names: tuple[str, ...]
    roots: tuple[Node, ...]
    steps: list[_Step]
    source: str
    inputs: dict[str, Node]
    result_texts: tuple[str, ...] = ()  # how the source names each root (``t3``, ``X``, ``2*X``)

    def __post_init__(self):
        slot: dict[int, int] = {id(node): i for i, node in enumerate(self.inputs.values())}
        constants = []
        for node in [x for step in self.steps for x in step.args] + list(self.roots):
            if node.op in ("num", "const") and id(node) not in slot:
                slot[id(node)] = len(slot)
                constants.append(_constant(node))
        self._constants = constants
        self._code = []
        for step in self.steps:
            slot[id(step.node)] = len(slot)
            self._code.append((step.fn, tuple(slot[id(x)] for x in step.args), bool(step.args)))
        self._results = [slot[id(r)] for r in self.roots]
        self._order = list(self.inputs)

    def __call__(self, env: Mapping[str, np.ndarray], dims: Mapping[str, int]) -> list:
        regs = [env[name] for name in self._order] + self._constants
        with np.errstate(all="ignore"):
            for fn, args, has_args in self._code:
                regs.append(fn(*[regs[i] for i in args]) if has_args else fn(dims))
        return [regs[i] for i in self._results]


def _constant(node: Node):
    if node.op == "num":
        return _float(node.data)
    return math.pi if node.data == "pi" else math.e


def compile_program(roots: Sequence[Node], names: Sequence[str], title: str = "f",
                    named_roots: bool = False) -> Program:
    """Compile roots (formulas over the arrays ``names``) into NumPy steps and their source.

    ``named_roots``: every computed root gets a name in the source (for code that continues it)."""
    plan: dict[int, _Step] = {}
    order: list[_Step] = []
    uses: dict[int, int] = {}
    stack = list(roots)
    seen: set[int] = set()
    inputs: dict[str, Node] = {}
    while stack:  # plan only what the effective steps reach (diag(w) of w[:, None] * M is never built)
        node = stack.pop()
        if id(node) in seen or node.op in ("sym", "num", "const"):
            if node.op == "sym":
                inputs[node.data] = node
            continue
        seen.add(id(node))
        plan[id(node)] = step = _step(node)
        stack.extend(step.args)
    for node in postorder(*roots):
        if id(node) in plan:
            order.append(plan[id(node)])
            for x in plan[id(node)].args:
                uses[id(x)] = uses.get(id(x), 0) + 1
    for r in roots:
        uses[id(r)] = uses.get(id(r), 0) + 2
    texts: dict[int, tuple[str, int]] = {}
    lines: list[str] = []
    dims = sorted({d for step in order if not step.args for d in step.node.shape if isinstance(d, str)})
    for step in order:
        operands = []
        for i, x in enumerate(step.args):
            text, level = _operand_text(texts, x)
            need = step.needs[i] if i < len(step.needs) else 0
            operands.append(f"({text})" if level < need else text)
        text = step.template(operands)
        if uses.get(id(step.node), 0) > 1 and (named_roots or step.node not in roots):
            name = f"t{len(lines)}"
            lines.append(f"    {name} = {text}")
            texts[id(step.node)] = (name, ATOM)
        else:
            texts[id(step.node)] = (text, step.level)
    results = [_operand_text(texts, r)[0] for r in roots]
    header = [f"def {title}({', '.join(names)}):"]
    for d in dims:
        holder = next(((n, i) for n, x in inputs.items() for i, e in enumerate(x.shape) if e == d), None)
        header.append(f"    {d} = {holder[0]}.shape[{holder[1]}]" if holder else f"    {d} = ...  # a size")
    source = "\n".join(header + lines + [f"    return {', '.join(results)}"]) + "\n"
    return Program(tuple(names), tuple(roots), order, source, inputs, tuple(results))


def _bare(text: str) -> str:
    """``text`` without parentheses that enclose all of it."""
    while text.startswith("(") and text.endswith(")"):
        depth = 0
        for i, ch in enumerate(text):
            depth += (ch == "(") - (ch == ")")
            if depth == 0 and i < len(text) - 1:
                return text
        text = text[1:-1]
    return text


def _operand_text(texts: dict, node: Node) -> tuple[str, int]:
    if node.op == "sym":
        return node.data, ATOM
    if node.op == "num":
        value = _float(node.data)
        return _num_text(value), ATOM if value >= 0 else PROD
    if node.op == "const":
        return f"np.{node.data}", ATOM
    return texts[id(node)]


# ------------------------------------------------------------------------- interpreters (AD, mpmath)
def evaluate(roots: Sequence[Node], env: Mapping[str, object], dims: Mapping[str, int],
             backend: str) -> list:
    """The roots' values with arrays of ``backend`` ("dnp": difflab.numpy, "mpmath": object arrays)."""
    ops = _DNP if backend == "dnp" else _MP
    values: dict[int, object] = {}
    for node in postorder(*roots):
        if node.op == "sym":
            values[id(node)] = env[node.data]
        else:
            shape = tuple(d if isinstance(d, int) else dims[d] for d in node.shape)
            values[id(node)] = ops[node.op](node, shape, *[values[id(x)] for x in node.args])
    return [values[id(r)] for r in roots]


_COMMON = {
    "add": lambda node, shape, *xs: reduce(operator.add, xs),
    "mul": lambda node, shape, *xs: reduce(operator.mul, xs),
    "eye": lambda node, shape: np.eye(shape[0]),
    "ones": lambda node, shape: np.ones(shape),
    "zero": lambda node, shape: np.zeros(shape),
}
_DNP: dict[str, Callable] = {**_COMMON,
    "num": lambda node, shape: _float(node.data),
    "const": lambda node, shape: math.pi if node.data == "pi" else math.e,
    "pow": lambda node, shape, x, e: dnp.power(x, e),
    "func": lambda node, shape, x: dnp.apply(PRIMITIVES[node.data], x),
    "matmul": lambda node, shape, x, y: dnp.matmul(x, y),
    "transpose": lambda node, shape, x: dnp.transpose(x),
    "sum": lambda node, shape, x: dnp.sum(x),
    "diag": lambda node, shape, x: (dnp.reshape(x, (shape[0], 1)) * np.eye(shape[0]) if len(shape) == 2
                                    else dnp.sum(x * np.eye(shape[0]), axis=1)),
    "outer": lambda node, shape, u, v: dnp.reshape(u, (shape[0], 1)) * dnp.reshape(v, (1, shape[1])),
    "inv": lambda node, shape, x: dnp.linalg.inv(x),
}


def _mp_inv(node, shape, x):
    m = mpmath.matrix(x.tolist()) ** -1
    return np.array([[m[i, j] for j in range(shape[1])] for i in range(shape[0])], dtype=object)


_MP_POWER = np.frompyfunc(mpmath.power, 2, 1)
_MP: dict[str, Callable] = {**_COMMON,
    "num": lambda node, shape: mpmath.mpf(node.data.numerator) / node.data.denominator,
    "const": lambda node, shape: +mpmath.pi if node.data == "pi" else mpmath.e(),
    "pow": lambda node, shape, x, e: _MP_POWER(x, e),
    "func": lambda node, shape, x: np.frompyfunc(PRIMITIVES[node.data].mpmath, 1, 1)(x),
    "matmul": lambda node, shape, x, y: np.matmul(x, y) if np.ndim(x) + np.ndim(y) > 2 else np.dot(x, y),
    "transpose": lambda node, shape, x: np.transpose(x),
    "sum": lambda node, shape, x: np.sum(x),
    "diag": lambda node, shape, x: np.diag(x),
    "outer": lambda node, shape, u, v: np.multiply.outer(u, v),
    "inv": _mp_inv,
}


def to_mpmath(x) -> object:
    """A double array (or scalar) as an object array of exact mpf copies."""
    return np.vectorize(mpmath.mpf, otypes=[object])(np.asarray(x, dtype=float)) if np.ndim(x) else \
        mpmath.mpf(float(x))

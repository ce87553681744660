"""Formulas as text in difflab's array notation, which ``difflab.matrix.parse`` reads back.

The notation is Python's (``@``, ``.T``, ``**``) with ``I`` for the identity (``eye(n)`` when a declared
array is itself named ``I``), ``ones(n)``, ``diag``, ``sum``, ``inv``, ``outer`` and the elementwise
functions of the rule table. Parentheses follow Python's precedence, so the printed text parses to the
same expression; ``a*B @ c`` is never printed for an elementwise ``a`` (it would mean ``(a*B) @ c``).
"""

from __future__ import annotations

from fractions import Fraction

from difflab.matrix.algebra import Node, mul, num, power, split_coefficient

ATOM, POWER, UNARY, PRODUCT, SUM = 50, 40, 30, 20, 10


def number_text(value: Fraction) -> tuple[str, int]:
    """A rational as an integer, an exact decimal (``0.25``) or ``p/q``."""
    sign = "-" if value < 0 else ""
    v = abs(value)
    if v.denominator == 1:
        return sign + str(v.numerator), UNARY if sign else ATOM
    d = v.denominator
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    if d == 1:
        digits = max(twos, fives)
        text = f"{v.numerator * 10 ** digits // v.denominator}".rjust(digits + 1, "0")
        text = (text[:-digits] + "." + text[-digits:]).rstrip("0")
        return sign + text, UNARY if sign else ATOM
    return f"{sign}{v.numerator}/{v.denominator}", PRODUCT


def formula(node: Node, identity: str = "I") -> str:
    """The readable text of an expression (``identity`` names the identity matrix)."""
    return _Printer(identity).text(node)[0]


class _Printer:
    def __init__(self, identity: str):
        self.identity = identity
        self.memo: dict[int, tuple[str, int]] = {}

    def wrap(self, node: Node, above: int) -> str:
        text, prec = self.text(node)
        return text if prec > above else f"({text})"

    def text(self, node: Node) -> tuple[str, int]:
        key = id(node)
        if key not in self.memo:
            self.memo[key] = getattr(self, "_" + node.op)(node)
        return self.memo[key]

    def _sym(self, n: Node):
        return n.data, ATOM

    def _const(self, n: Node):
        return n.data, ATOM

    def _num(self, n: Node):
        return number_text(n.data)

    def _eye(self, n: Node):
        if self.identity == "I":
            return "I", ATOM
        return f"eye({n.shape[0]})", ATOM

    def _ones(self, n: Node):
        return f"ones({', '.join(str(d) for d in n.shape)})", ATOM

    def _zero(self, n: Node):
        return f"0*ones({', '.join(str(d) for d in n.shape)})", PRODUCT

    def _add(self, n: Node):
        out = []
        terms = sorted(n.args, key=lambda t: split_coefficient(t)[0] < 0)  # a positive term leads
        for i, term in enumerate(terms):
            c, rest = split_coefficient(term)
            if i and c < 0:
                body = self.text(rest)[0] if c == -1 and rest.op != "num" else None
                if body is None or self.text(rest)[1] <= SUM:
                    body = self.wrap(mul(num(-c), rest), SUM)
                out.append(" - " + body)
            else:
                out.append((" + " if i else "") + self.wrap(term, SUM if i else SUM - 1))
        return "".join(out), SUM

    def _mul(self, n: Node):
        c, rest = split_coefficient(n)
        factors = list(rest.args) if rest.op == "mul" else [rest]
        top = [f for f in factors if not _reciprocal(f)]
        bottom = [_invert(f) for f in factors if _reciprocal(f)]
        parts = []
        lead = ""
        if c != 1:
            if c == -1:
                lead = "-"
            else:
                word, _ = number_text(abs(c))
                if c < 0:
                    lead = "-"
                if c.denominator != 1 and "/" in word:
                    top.insert(0, None)  # numerator printed first, denominator appended below
                    parts.append(str(abs(c.numerator)))
                else:
                    parts.append(word)
        scalars_only = all(not f.shape for f in factors[:-1])
        for i, f in enumerate(top):
            if f is None:
                continue
            last = i == len(top) - 1
            if f.op == "matmul" and not (last and scalars_only and not bottom):
                parts.append(f"({self.text(f)[0]})")
            else:
                parts.append(self.wrap(f, PRODUCT - 1 if (last and f.op == "matmul") else PRODUCT))
        text = "*".join(parts) if parts else "1"
        denominators = [str(c.denominator)] if c.denominator != 1 and "/" in number_text(abs(c))[0] \
            else []
        denominators += [self.wrap(b, PRODUCT) for b in bottom]
        for d in denominators:
            text += "/" + d
        return lead + text, PRODUCT

    def _pow(self, n: Node):
        base, exponent = n.args
        e = exponent.number()
        if e is not None and e < 0:
            return "1/" + self.wrap(_invert(n), PRODUCT), PRODUCT
        if e == Fraction(1, 2):
            return f"sqrt({self.text(base)[0]})", ATOM
        if e is not None:
            word, prec = number_text(e)
            exp_text = word if prec == ATOM else f"({word})"
        else:
            exp_text = self.wrap(exponent, POWER)
        return f"{self.wrap(base, POWER)}**{exp_text}", POWER

    def _func(self, n: Node):
        return f"{n.data}({self.text(n.args[0])[0]})", ATOM

    def _matmul(self, n: Node):
        chain = _chain(n)
        parts = [self.wrap(chain[0], PRODUCT - 1)] + [self.wrap(f, PRODUCT) for f in chain[1:]]
        return " @ ".join(parts), PRODUCT

    def _transpose(self, n: Node):
        return self.wrap(n.args[0], ATOM - 1) + ".T", ATOM

    def _sum(self, n: Node):
        return f"sum({self.text(n.args[0])[0]})", ATOM

    def _diag(self, n: Node):
        return f"diag({self.text(n.args[0])[0]})", ATOM

    def _inv(self, n: Node):
        return f"inv({self.text(n.args[0])[0]})", ATOM

    def _outer(self, n: Node):
        return f"outer({self.text(n.args[0])[0]}, {self.text(n.args[1])[0]})", ATOM


def _chain(n: Node) -> list[Node]:
    """The operands of a product chain, flattened (``@`` is associative)."""
    if n.op != "matmul":
        return [n]
    return _chain(n.args[0]) + _chain(n.args[1])


def _reciprocal(f: Node) -> bool:
    e = f.args[1].number() if f.op == "pow" else None
    return e is not None and e < 0


def _invert(f: Node) -> Node:
    return power(f.args[0], num(-f.args[1].data))

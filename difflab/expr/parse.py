"""The safe expression parser: text -> SymPy, with no ``eval``, ``sympify`` or ``parse_expr``.

Why our own parser: SymPy's ``sympify``/``parse_expr`` call ``eval`` on the text, so a string like
``__import__('os').system(...)`` or ``9**9**9**9`` is code execution or a resource bomb. Here the text is
parsed by Python's ``ast`` module (parsing executes nothing) and walked through a whitelist: numbers,
names, ``+ - * / **``, unary signs and calls of the functions in the rule table. Everything else is
refused with a ``ParseError`` that names the position.

Conventions (documented in the README):

* ``pi`` and ``e`` (lowercase) are the constants; every other identifier that is not a function of the
  rule table is a real variable, so ``E``, ``I``, ``N``, ``S``, ``beta``, ``gamma``, ``lambda_`` are
  plain variables (unlike SymPy, where they are constants or functions).
* Decimal literals are exact: ``0.8`` is the rational 4/5, so derivations check exactly.
* ``^`` is refused with a hint to use ``**``; implicit multiplication ``2x`` is refused.
* Constants are sized before they are built and checked after: a constant power (also a numeric factor
  raised to a power, ``(2*x)**(10**300)``, and powers formed by ``let`` substitution) is refused before
  SymPy computes it exactly; every constant part must be finite and real (``log(-1)`` is not, ``x/0``
  is undefined) and every exact number inside the double range, because every numeric method and the
  compiled code work in doubles (``1e400*x`` would be inf there). Abbreviations are substituted
  *while parsing*, so a refusal names the position in the text where the abbreviation is used.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping

import sympy

from difflab.errors import ParseError
from difflab.expr.sizes import (
    LARGEST_LOG10,
    RANGE_WORDS,
    SMALLEST_LOG10,
    approximate,
    log10_abs,
    scaled,
    short,
)
from difflab.primitives.table import expression_functions

MAX_LENGTH = 10_000          # characters of expression text
MAX_DEPTH = 60               # nesting of the syntax tree
MAX_INTEGER_DIGITS = 100     # digits of an integer literal
MAX_LITERAL_EXPONENT = 400   # |exponent| of a literal like 1e-300
MAX_POWER_DIGITS = 400       # decimal digits of a constant power like 9**99 (before computing it)

CONSTANTS: dict[str, sympy.Expr] = {"pi": sympy.pi, "e": sympy.E}

_NON_DECIMAL = re.compile(r"(?<![A-Za-z0-9_.])(0[xXoObB][0-9A-Fa-f_]+|\d+\.?\d*(?:[eE][+-]?\d+)?[jJ])"
                          r"(?![A-Za-z0-9_])")
_IMPLICIT = re.compile(r"(?<![A-Za-z0-9_.])(\d[\d_]*\.?[\d_]*(?:[eE][+-]?\d+)?)([A-Za-df-zA-DF-Z(])")
_SUMS = (ast.Add, ast.Sub)
_PRODUCTS = (ast.Mult, ast.Div)
_OPERATOR_WORDS = {
    ast.BitXor: ("'^' is not a power here", "use ** for powers, e.g. x**2"),
    ast.FloorDiv: ("'//' (floor division) is not differentiable", "use / for division"),
    ast.Mod: ("'%' (remainder) is not supported", None),
    ast.MatMult: ("'@' is not supported in expressions", None),
    ast.BitAnd: ("'&' is not supported", None),
    ast.BitOr: ("'|' is not supported", None),
    ast.LShift: ("'<<' is not supported", None),
    ast.RShift: ("'>>' is not supported", None),
}


def parse_expr_safe(text: str, let: Mapping[str, str] | None = None,
                    max_length: int = MAX_LENGTH) -> sympy.Expr:
    """Parse expression text into a SymPy expression, substituting the ``let`` abbreviations.

    ``let`` maps a name to expression text (e.g. ``{"yh": "1/(1+exp(-(w1*x1+b)))"}``); an abbreviation
    may use earlier-defined ones. Raises ``ParseError`` naming the position of the problem. Text longer
    than ``max_length`` characters is refused (a guard for untrusted text; parsing is linear in the text).
    """
    resolved = _resolve_let(let) if let else {}
    return _Parser(text, resolved, max_length=max_length).parse()


def _resolve_let(let: Mapping[str, str]) -> dict[sympy.Symbol, sympy.Expr]:
    """Parse abbreviations so each is expressed in the base variables (cycles are an error)."""
    texts: dict[str, str] = {}
    for name, body in let.items():
        _check_let_name(name)
        texts[name] = body
    resolved: dict[str, sympy.Expr] = {}
    visiting: list[str] = []

    def resolve(name: str) -> sympy.Expr:
        """Parse one definition with the abbreviations it uses already substituted (guards included)."""
        if name in resolved:
            return resolved[name]
        if name in visiting:
            raise ParseError(f"abbreviation '{visiting[0]}' refers to itself (directly or through others)")
        visiting.append(name)
        parser = _Parser(texts[name], {}, on_name=lambda n: resolve(n) if n in texts else None)
        try:
            resolved[name] = parser.parse()
        except ParseError as err:
            if err.reason.startswith("abbreviation "):
                raise
            raise ParseError(f"in the definition of '{name}': {err.reason}", texts[name], err.position,
                             err.hint) from None
        visiting.pop()
        return resolved[name]

    for name in texts:
        resolve(name)
    return resolved


def _check_let_name(name: str) -> None:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name or "") or name.startswith("__"):
        raise ParseError(f"'{name}' is not a valid name for an abbreviation")
    if name in expression_functions() or name in CONSTANTS:
        raise ParseError(f"'{name}' is a function or constant and cannot be redefined")


class _Parser:
    """One parse of one text: pre-scan for cheap errors, then walk the AST through the whitelist."""

    def __init__(self, text: str, names: Mapping[str, sympy.Expr] | None = None,
                 on_name: Callable[[str], sympy.Expr | None] | None = None, max_length: int = MAX_LENGTH):
        if not isinstance(text, str):
            raise ParseError(f"expected expression text, got {type(text).__name__}")
        self.max_length = max_length
        self._utf8: bytes | None = None
        self.text = text.replace("\n", " ").replace("\t", " ").replace("\r", " ").strip()
        self.functions = expression_functions()
        self.names = dict(names or {})
        self.on_name = on_name
        self.sizes: dict[sympy.Expr, float] = {}   # log10 |constant| of the constants met so far

    def fail(self, message: str, position: int | None = None, hint: str | None = None) -> ParseError:
        return ParseError(message, self.text, position, hint)

    def parse(self) -> sympy.Expr:
        self._prescan()
        try:
            tree = ast.parse(self.text.strip() and self.text, mode="eval")
        except SyntaxError as err:
            pos = max((err.offset or 1) - 1, 0)
            raise self.fail("invalid syntax", min(pos, len(self.text) - 1)) from None
        except (RecursionError, MemoryError, ValueError):
            raise self.fail("expression is too deeply nested") from None
        return self._defined(self._node(tree.body, 0))

    def _defined(self, expr: sympy.Expr) -> sympy.Expr:
        """Refuse an expression that is undefined everywhere (x/0 folds to zoo*x), not just at points."""
        if isinstance(expr, sympy.Basic) and expr.has(sympy.zoo, sympy.nan):
            raise self.fail("the expression is undefined everywhere (a division by zero or 0/0 in it)")
        return expr

    def _prescan(self) -> None:
        text = self.text
        if not text.strip():
            raise self.fail("empty expression")
        if len(text) > self.max_length:
            raise self.fail(f"expression is longer than {self.max_length} characters",
                            hint=None if self.max_length != MAX_LENGTH else
                            "a longer expression can be allowed explicitly: Function(text, max_length=...) "
                            "or --max-length")
        depth, opened = 0, []
        for i, ch in enumerate(text):
            if ch == "(":
                depth += 1
                opened.append(i)
                if depth > MAX_DEPTH:
                    raise self.fail(f"parentheses nested deeper than {MAX_DEPTH}", i)
            elif ch == ")":
                if not opened:
                    raise self.fail("unbalanced parenthesis: ')' has no matching '('", i)
                opened.pop()
                depth -= 1
        if opened:
            raise self.fail("unbalanced parenthesis: '(' is never closed", opened[-1])
        caret = text.find("^")
        if caret >= 0:
            raise self.fail("'^' is not a power here", caret, "use ** for powers, e.g. x**2")
        literal = _NON_DECIMAL.search(text)
        if literal:
            raise self.fail("only decimal real numbers are allowed", literal.start(),
                            "hexadecimal, octal, binary and imaginary literals are refused")
        implicit = _IMPLICIT.search(text)
        if implicit:
            pos = implicit.start(2)
            raise self.fail("implicit multiplication is not allowed", pos,
                            f"write {implicit.group(1)}*{text[pos:pos + 8].split()[0]} instead")
        for match in re.finditer(r"[A-Za-z_][A-Za-z0-9_]*", text):
            if match.group().startswith("__"):
                raise self.fail(f"names beginning with '__' are not allowed ('{match.group()}')",
                                match.start())

    def _pos(self, node: ast.AST) -> int:
        return getattr(node, "col_offset", 0)

    def _node(self, node: ast.AST, depth: int) -> sympy.Expr:
        if depth > MAX_DEPTH:
            raise self.fail(f"expression nested deeper than {MAX_DEPTH}", self._pos(node))
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise self.fail(_describe(node), self._pos(node))
        return method(node, depth + 1)

    def _Constant(self, node: ast.Constant, depth: int) -> sympy.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(f"{type(value).__name__} literals are not numbers", self._pos(node))
        source = self._segment(node) or repr(value)
        return self._number(source.replace("_", ""), node)

    def _segment(self, node: ast.AST) -> str | None:
        """The node's source text. Why not ``ast.get_source_segment``: it splits the whole text into lines
        on every call, which makes parsing quadratic in the number of literals; the text is one line
        here and the offsets are UTF-8 byte offsets."""
        if self._utf8 is None:
            self._utf8 = self.text.encode()
        start, end = getattr(node, "col_offset", None), getattr(node, "end_col_offset", None)
        return None if start is None or end is None else self._utf8[start:end].decode()

    def _number(self, source: str, node: ast.AST) -> sympy.Expr:
        mantissa, _, exponent = source.lower().partition("e")
        if len(mantissa.replace(".", "").lstrip("0")) > MAX_INTEGER_DIGITS:
            raise self.fail(f"number has more than {MAX_INTEGER_DIGITS} digits", self._pos(node))
        if exponent and abs(int(exponent)) > MAX_LITERAL_EXPONENT:
            raise self.fail(f"number exponent beyond 1e±{MAX_LITERAL_EXPONENT}", self._pos(node))
        if source.lower().startswith(("0x", "0o", "0b")) or "j" in source.lower():
            raise self.fail("only decimal real numbers are allowed", self._pos(node))
        number = sympy.Rational(source) if ("." in source or exponent) else sympy.Integer(source)
        if number != 0 and not SMALLEST_LOG10 <= log10_abs(number) <= LARGEST_LOG10:
            raise self.fail(f"number {source} is beyond the double-precision range ({RANGE_WORDS})",
                            self._pos(node))
        return number

    def _Name(self, node: ast.Name, depth: int) -> sympy.Expr:
        name = node.id
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in self.names:
            return self.names[name]
        found = self.on_name(name) if self.on_name else None
        if found is not None:
            return found
        if name in self.functions and not self.functions[name].bare_is_variable:
            raise self.fail(f"'{name}' is a function; call it with an argument, e.g. {name}(x)",
                            self._pos(node))
        return sympy.Symbol(name, real=True)

    def _UnaryOp(self, node: ast.UnaryOp, depth: int) -> sympy.Expr:
        operand = self._node(node.operand, depth)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        raise self.fail(_describe(node), self._pos(node))

    def _BinOp(self, node: ast.BinOp, depth: int) -> sympy.Expr:
        op = type(node.op)
        if op in _OPERATOR_WORDS:
            message, hint = _OPERATOR_WORDS[op]
            raise self.fail(message, self._operator_position(node), hint)
        if op is ast.Pow:
            return self._power(self._node(node.left, depth), self._node(node.right, depth), node)
        return self._checked(self._chain(node, depth), self._operator_position(node))

    def _chain(self, node: ast.BinOp, depth: int) -> sympy.Expr:
        """A left-nested run of + - (or * /) as one flat sum (product).

        Why: ``x1 + x2 + ... + x100`` is a long expression, not a deep one; walking it recursively would
        trip the nesting limit, and adding terms one at a time is quadratic in SymPy.
        """
        group = _SUMS if isinstance(node.op, _SUMS) else _PRODUCTS
        parts = []
        while isinstance(node, ast.BinOp) and isinstance(node.op, group):
            parts.append((type(node.op), node.right))
            node = node.left
        terms = [self._node(node, depth)]
        for op, right in reversed(parts):
            value = self._node(right, depth)
            if op is ast.Div and value == 0:
                raise self.fail("division by zero", self._pos(right))
            terms.append({ast.Add: value, ast.Sub: -value, ast.Mult: value, ast.Div: 1 / value}[op])
        return sympy.Add(*terms) if group is _SUMS else sympy.Mul(*terms)

    def _operator_position(self, node: ast.BinOp) -> int:
        """Column of the operator: the first non-space character after the left operand."""
        end = getattr(node.left, "end_col_offset", None)
        if end is None:
            return self._pos(node)
        rest = self.text[end:]
        return end + (len(rest) - len(rest.lstrip(" )")))

    def _power(self, base: sympy.Expr, exponent: sympy.Expr, node: ast.BinOp) -> sympy.Expr:
        """Refuse, before SymPy computes it exactly, a constant power outside the double range.

        Why every numeric factor of the base: SymPy distributes an integer power over a product, so
        ``(2*x)**(10**300)`` computes ``2**(10**300)`` exactly (minutes and gigabytes) although the
        base is not a constant. The sizes come from the factors' own (checked, in-range) logarithms, so
        sizing costs nothing whatever the exponent is.
        """
        where = self._operator_position(node)
        if not exponent.free_symbols:
            e = self._log_size(exponent, where)
            sign = 1.0 if exponent.is_extended_negative is not True else -1.0
            factors = [base] if not base.free_symbols else [a for a in sympy.Mul.make_args(base)
                                                              if not a.free_symbols]
            for factor in factors:
                if factor == 0:
                    if exponent.is_extended_negative:
                        raise self.fail("division by zero (0 raised to a negative power)", where)
                    continue
                digits = scaled(self._log_size(factor, where), e, sign)
                if digits > MAX_POWER_DIGITS:
                    raise self.fail(f"constant power is too large (about 10**{digits:.3g})", where,
                                    "exponent towers are refused")
                if digits < -MAX_POWER_DIGITS:
                    raise self.fail(f"constant power is too small (about 10**{digits:.3g}; it is 0 in "
                                    "doubles)", where, "exponent towers are refused")
        return self._checked(base ** exponent, where)

    def _log_size(self, constant: sympy.Expr, where: int) -> float:
        """log10 |constant| of a constant sub-expression (cached; checked to be finite and real)."""
        if constant not in self.sizes:
            self._checked(constant, where)
        return self.sizes.get(constant, 0.0)

    def _checked(self, expr: sympy.Expr, where: int, source: str | None = None) -> sympy.Expr:
        """``expr`` if its constant parts are finite and real, and its exact numbers are in the double
        range, else a ParseError. (A symbolic constant such as ``exp(-1000)`` stays: SymPy keeps it
        unevaluated, so it costs nothing, and a claim may well rest on it.)"""
        parts = [expr] if not expr.free_symbols else [a for a in expr.args if not a.free_symbols]
        for part in parts:
            if part in self.sizes or not isinstance(part, sympy.Expr):
                continue
            if part.has(sympy.zoo, sympy.oo, sympy.nan):
                raise self.fail("the expression is undefined here (a division by zero or an infinite "
                                "constant)", where)
            value = approximate(part)
            if value is None:   # SymPy cannot evaluate it: leave it to the numeric routes
                continue
            if value.imag != 0:
                said = f"{source} is {short(part)}" if source and part is expr else short(part)
                raise self.fail(f"{said}, not a real number", where)
            size = log10_abs(value.real)
            if isinstance(part, sympy.Rational) and value.real != 0 \
                    and not SMALLEST_LOG10 <= size <= LARGEST_LOG10:
                raise self.fail(f"constant {short(part)} is about 10**{size:.4g}, beyond the "
                                f"double-precision range ({RANGE_WORDS})", where)
            self.sizes[part] = size
        return expr

    def _Call(self, node: ast.Call, depth: int) -> sympy.Expr:
        if not isinstance(node.func, ast.Name):
            raise self.fail("only calls of named functions are allowed", self._pos(node))
        name = node.func.id
        rule = self.functions.get(name)
        if rule is None:
            known = ", ".join(sorted(self.functions))
            raise self.fail(f"unknown function '{name}'", self._pos(node), f"known functions: {known}")
        if node.keywords:
            raise self.fail(f"'{name}' takes no keyword arguments", self._pos(node.keywords[0].value))
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise self.fail("starred arguments are not allowed", self._pos(node))
        counts = rule.text_arities or (rule.arity,)
        if len(node.args) not in counts:
            raise self.fail(f"'{name}' takes {' or '.join(map(str, counts))} argument"
                            f"{'s' * (counts != (1,))}, got {len(node.args)}", self._pos(node))
        args = [self._node(a, depth) for a in node.args]
        try:
            built = rule.sympy(*args)
        except (TypeError, ValueError) as err:   # e.g. max of a non-real constant
            raise self.fail(f"'{name}' cannot take these arguments ({err})", self._pos(node)) from None
        return self._checked(built, self._pos(node), self._segment(node))


def _describe(node: ast.AST) -> str:
    """Words for a refused syntax element (the message a user reads)."""
    words = {
        "Attribute": "attribute access is not allowed",
        "Subscript": "subscripts (indexing) are not allowed",
        "Lambda": "lambda expressions are not allowed",
        "ListComp": "comprehensions are not allowed",
        "SetComp": "comprehensions are not allowed",
        "DictComp": "comprehensions are not allowed",
        "GeneratorExp": "comprehensions are not allowed",
        "Compare": "comparisons are not allowed",
        "BoolOp": "boolean operators are not allowed",
        "IfExp": "conditional expressions are not allowed",
        "Tuple": "tuples are not allowed (one expression only)",
        "List": "lists are not allowed",
        "Dict": "dictionaries are not allowed",
        "Set": "sets are not allowed",
        "JoinedStr": "strings are not allowed",
        "NamedExpr": "assignments are not allowed",
        "Await": "await is not allowed",
        "Yield": "yield is not allowed",
        "UnaryOp": "'not' and '~' are not allowed",
    }
    return words.get(type(node).__name__, f"{type(node).__name__} is not allowed")

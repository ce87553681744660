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
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Mapping

import sympy

from difflab.errors import ParseError
from difflab.primitives.table import expression_functions

MAX_LENGTH = 10_000          # characters of expression text
MAX_DEPTH = 60               # nesting of the syntax tree
MAX_INTEGER_DIGITS = 100     # digits of an integer literal
MAX_LITERAL_EXPONENT = 400   # |exponent| of a literal like 1e-300
MAX_POWER_DIGITS = 400       # decimal digits of a constant power like 9**99

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


def parse_expr_safe(text: str, let: Mapping[str, str] | None = None) -> sympy.Expr:
    """Parse expression text into a SymPy expression, substituting the ``let`` abbreviations.

    ``let`` maps a name to expression text (e.g. ``{"yh": "1/(1+exp(-(w1*x1+b)))"}``); an abbreviation
    may use earlier-defined ones. Raises ``ParseError`` naming the position of the problem.
    """
    resolved = _resolve_let(let) if let else {}
    expr = _Parser(text).parse()
    return expr.subs(resolved) if resolved else expr


def _resolve_let(let: Mapping[str, str]) -> dict[sympy.Symbol, sympy.Expr]:
    """Parse abbreviations so each is expressed in the base variables (cycles are an error)."""
    parsed: dict[str, sympy.Expr] = {}
    for name, body in let.items():
        _check_let_name(name)
        try:
            parsed[name] = _Parser(body).parse()
        except ParseError as err:
            raise ParseError(f"in the definition of '{name}': {err.reason}", body, err.position,
                             err.hint) from None
    symbols = {name: sympy.Symbol(name, real=True) for name in parsed}
    resolved: dict[sympy.Symbol, sympy.Expr] = {}
    for _ in range(len(parsed) + 1):
        changed = False
        for name, body in parsed.items():
            new = body.subs({symbols[k]: v for k, v in parsed.items() if k != name})
            if new != body:
                parsed[name] = new
                changed = True
        if not changed:
            break
    for name, body in parsed.items():
        if symbols[name] in body.free_symbols:
            raise ParseError(f"abbreviation '{name}' refers to itself (directly or through others)")
        resolved[symbols[name]] = body
    return resolved


def _check_let_name(name: str) -> None:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name or "") or name.startswith("__"):
        raise ParseError(f"'{name}' is not a valid name for an abbreviation")
    if name in expression_functions() or name in CONSTANTS:
        raise ParseError(f"'{name}' is a function or constant and cannot be redefined")


class _Parser:
    """One parse of one text: pre-scan for cheap errors, then walk the AST through the whitelist."""

    def __init__(self, text: str):
        if not isinstance(text, str):
            raise ParseError(f"expected expression text, got {type(text).__name__}")
        self.text = text.replace("\n", " ").replace("\t", " ").replace("\r", " ").strip()
        self.functions = expression_functions()

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
        return self._node(tree.body, 0)

    def _prescan(self) -> None:
        text = self.text
        if not text.strip():
            raise self.fail("empty expression")
        if len(text) > MAX_LENGTH:
            raise self.fail(f"expression is longer than {MAX_LENGTH} characters")
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
        source = ast.get_source_segment(self.text, node) or repr(value)
        return self._number(source.replace("_", ""), node)

    def _number(self, source: str, node: ast.AST) -> sympy.Expr:
        mantissa, _, exponent = source.lower().partition("e")
        if len(mantissa.replace(".", "").lstrip("0")) > MAX_INTEGER_DIGITS:
            raise self.fail(f"number has more than {MAX_INTEGER_DIGITS} digits", self._pos(node))
        if exponent and abs(int(exponent)) > MAX_LITERAL_EXPONENT:
            raise self.fail(f"number exponent beyond 1e±{MAX_LITERAL_EXPONENT}", self._pos(node))
        if source.lower().startswith(("0x", "0o", "0b")) or "j" in source.lower():
            raise self.fail("only decimal real numbers are allowed", self._pos(node))
        return sympy.Rational(source) if ("." in source or exponent) else sympy.Integer(source)

    def _Name(self, node: ast.Name, depth: int) -> sympy.Expr:
        name = node.id
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in self.functions:
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
        return self._chain(node, depth)

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
        """Refuse constant powers whose value would be astronomically large before SymPy computes them."""
        if base.is_number and exponent.is_number:
            try:
                b, x = abs(complex(base.evalf(15))), complex(exponent.evalf(15)).real
                digits = x * math.log10(b) if b > 0 else 0.0
            except (TypeError, ValueError, OverflowError):
                digits = math.inf
            if abs(digits) > MAX_POWER_DIGITS:
                raise self.fail(f"constant power is too large (about 10**{digits:.3g})",
                                self._operator_position(node), "exponent towers are refused")
        return base ** exponent

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
        if len(node.args) != rule.arity:
            raise self.fail(f"'{name}' takes {rule.arity} argument{'s' * (rule.arity != 1)}, "
                            f"got {len(node.args)}", self._pos(node))
        args = [self._node(a, depth) for a in node.args]
        return rule.sympy(*args)


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

"""The safe parser: what it accepts (checked against hand-built SymPy trees) and every refusal, word for word."""

from __future__ import annotations

import pytest
import sympy

from difflab.errors import ParseError
from difflab.expr.parse import MAX_DEPTH, parse_expr_safe

x, y, z = (sympy.Symbol(n, real=True) for n in "xyz")


def sym(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, real=True)


@pytest.mark.parametrize(("text", "expected"), [
    ("x**2 + 3*y", x**2 + 3 * y),
    ("-x**2", -(x**2)),
    ("x - -y", x + y),
    ("x - y - z", x - y - z),
    ("x/y/z", x / (y * z)),
    ("(x + 1)*(x - 1)", (x + 1) * (x - 1)),
    ("exp(x)*sin(y)", sympy.exp(x) * sympy.sin(y)),
    ("0.1", sympy.Rational(1, 10)),               # decimals are exact: 0.1 is 1/10, not 0.1000000000000000055
    ("1e-3*x", x / 1000),
    ("2.5e2", sympy.Integer(250)),
    ("1_000*x", 1000 * x),
    ("pi*e", sympy.pi * sympy.E),                  # the two documented constants
    ("E + I + N + S + beta + gamma + lambda_",    # SymPy's special names are plain variables here
     sym("E") + sym("I") + sym("N") + sym("S") + sym("beta") + sym("gamma") + sym("lambda_")),
    ("  x\n+ y  ", x + y),
    ("arctan(x) + atan(y)", sympy.atan(x) + sympy.atan(y)),
    ("log(x) + sqrt(y) + abs(z)", sympy.log(x) + sympy.sqrt(y) + sympy.Abs(z)),
    ("max(x, y) + min(x, z)", sympy.Max(x, y) + sympy.Min(x, z)),
])
def test_accepted_expressions(text, expected):
    assert sympy.simplify(parse_expr_safe(text) - expected) == 0


def test_variables_are_real_symbols():
    assert all(s.is_real for s in parse_expr_safe("a*b + c").free_symbols)


def test_long_sum_is_not_deep():
    """A flat sum of 1000 terms is long, not nested: it must parse."""
    expr = parse_expr_safe("+".join(f"x{i}" for i in range(1000)))
    assert len(expr.args) == 1000


def test_let_abbreviations_expand():
    expr = parse_expr_safe("-(y - yh)*x1", let={"yh": "w1*x1 + b"})
    assert sympy.expand(expr - (-(sym("y") - sym("w1") * sym("x1") - sym("b")) * sym("x1"))) == 0


def test_let_chains_and_cycles():
    expr = parse_expr_safe("u", let={"u": "v**2", "v": "x + 1"})
    assert sympy.expand(expr - (x + 1) ** 2) == 0
    with pytest.raises(ParseError, match=r"abbreviation 'u' refers to itself \(directly or through others\)"):
        parse_expr_safe("u", let={"u": "v + 1", "v": "u*2"})


def test_let_substitution_is_sized_where_the_abbreviation_is_used():
    """``--let a=2 --let b=10**300`` made ``x*a**b`` compute 2**(10**300) (35 s, 2.5 GB, MemoryError)."""
    with pytest.raises(ParseError) as info:
        parse_expr_safe("x*a**b", let={"a": "2", "b": "10**300"})
    assert str(info.value) == ("cannot parse expression at position 4: constant power is too large "
                               "(about 10**3.01e+299) (hint: exponent towers are refused)")
    with pytest.raises(ParseError, match=r"^cannot parse expression at position 2: in the definition of 'c': "
                                         r"constant power is too large"):
        parse_expr_safe("x*c", let={"c": "a**b", "a": "3", "b": "10**300"})


def test_symbolic_constants_outside_the_double_range_stay_symbolic():
    assert parse_expr_safe("exp(-1000)*x") == sympy.exp(-1000) * x


def test_constants_inside_the_double_range_are_kept_exact():
    assert parse_expr_safe("1e308*x") == sympy.Integer(10) ** 308 * x
    assert parse_expr_safe("5e-324*x") == sympy.Rational(5, 10**324) * x
    assert parse_expr_safe("x*sigmoid(2**1000)").args[1].args[0] == sympy.Integer(2) ** 1000


def test_let_cannot_redefine_functions():
    with pytest.raises(ParseError, match="'exp' is a function or constant and cannot be redefined"):
        parse_expr_safe("exp", let={"exp": "x"})


# Every refusal: (text, exact message). Positions count from 1 in the message.
REFUSED = [
    ("", "cannot parse expression: empty expression"),
    ("   ", "cannot parse expression: empty expression"),
    ("x^2", "cannot parse expression at position 2: '^' is not a power here (hint: use ** for powers, e.g. x**2)"),
    ("2x", "cannot parse expression at position 2: implicit multiplication is not allowed "
           "(hint: write 2*x instead)"),
    ("3(x+1)", "cannot parse expression at position 2: implicit multiplication is not allowed "
               "(hint: write 3*(x+1) instead)"),
    ("(x+1", "cannot parse expression at position 1: unbalanced parenthesis: '(' is never closed"),
    ("x+1)", "cannot parse expression at position 4: unbalanced parenthesis: ')' has no matching '('"),
    ("x.real", "cannot parse expression at position 1: attribute access is not allowed"),
    ("x.__class__", "cannot parse expression at position 3: names beginning with '__' are not allowed "
                    "('__class__')"),
    ("__import__('os')", "cannot parse expression at position 1: names beginning with '__' are not allowed "
                         "('__import__')"),
    ("lambda t: t", "cannot parse expression at position 1: lambda expressions are not allowed"),
    ("[t for t in x]", "cannot parse expression at position 1: comprehensions are not allowed"),
    ("x[0]", "cannot parse expression at position 1: subscripts (indexing) are not allowed"),
    ("foo(x)", "cannot parse expression at position 1: unknown function 'foo' (hint: known functions: "),
    ("sin", "cannot parse expression at position 1: 'sin' is a function; call it with an argument, e.g. sin(x)"),
    ("sin(x, y)", "cannot parse expression at position 1: 'sin' takes 1 argument, got 2"),
    ("exp(x=1)", "cannot parse expression at position 7: 'exp' takes no keyword arguments"),
    ("x if y else z", "cannot parse expression at position 1: conditional expressions are not allowed"),
    ("x < y", "cannot parse expression at position 1: comparisons are not allowed"),
    ("x and y", "cannot parse expression at position 1: boolean operators are not allowed"),
    ("'abc'", "cannot parse expression at position 1: str literals are not numbers"),
    ("x // y", "cannot parse expression at position 3: '//' (floor division) is not differentiable "
               "(hint: use / for division)"),
    ("x % y", "cannot parse expression at position 3: '%' (remainder) is not supported"),
    ("x = 1", "cannot parse expression at position 3: invalid syntax"),
    ("0x10", "cannot parse expression at position 1: only decimal real numbers are allowed "
             "(hint: hexadecimal, octal, binary and imaginary literals are refused)"),
    ("2j", "cannot parse expression at position 1: only decimal real numbers are allowed "
           "(hint: hexadecimal, octal, binary and imaginary literals are refused)"),
    ("9**9**9**9", "cannot parse expression at position 5: constant power is too large (about 10**3.7e+08) "
                   "(hint: exponent towers are refused)"),
    ("10**1000", "cannot parse expression at position 3: constant power is too large (about 10**1e+03) "
                 "(hint: exponent towers are refused)"),
    ("1" * 101, "cannot parse expression at position 1: number has more than 100 digits"),
    # sized before SymPy computes them (issue 13): each of these was minutes, gigabytes or a traceback
    ("(2*x)**(10**300)", "cannot parse expression at position 6: constant power is too large "
                         "(about 10**3.01e+299) (hint: exponent towers are refused)"),
    ("x*1e-400**1e400", "cannot parse expression at position 3: number 1e-400 is beyond the "
                        "double-precision range (about 4.9e-324 to 1.8e308)"),
    ("1e400*x", "cannot parse expression at position 1: number 1e400 is beyond the double-precision range "
                "(about 4.9e-324 to 1.8e308)"),
    ("*".join(["1e400"] * 11) + "*x", "cannot parse expression at position 1: number 1e400 is beyond the "
                                      "double-precision range (about 4.9e-324 to 1.8e308)"),
    ("1e300*1e300*x", "cannot parse expression at position 12: constant 1.0e+600 is about 10**600, beyond "
                      "the double-precision range (about 4.9e-324 to 1.8e308)"),
    ("0.5**2000*x", "cannot parse expression at position 4: constant power is too small (about 10**-602; it "
                    "is 0 in doubles) (hint: exponent towers are refused)"),
    ("2**1100*x", "cannot parse expression at position 2: constant 1.36e+331 is about 10**331.1, beyond "
                  "the double-precision range (about 4.9e-324 to 1.8e308)"),
    ("x/0", "cannot parse expression at position 3: division by zero"),
    ("1/(x - x)", "cannot parse expression at position 4: division by zero"),
    ("0**-1*x", "cannot parse expression at position 2: division by zero (0 raised to a negative power)"),
    ("x + max(log(-1), 0)", "cannot parse expression at position 9: log(-1) is I*pi, not a real number"),
    ("sqrt(-1) + x", "cannot parse expression at position 1: sqrt(-1) is I, not a real number"),
    ("1e999", "cannot parse expression at position 1: number exponent beyond 1e±400"),
    ("(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1),
     f"cannot parse expression at position {MAX_DEPTH + 1}: parentheses nested deeper than {MAX_DEPTH}"),
    ("-" * 200 + "x", f"cannot parse expression at position {MAX_DEPTH + 2}: expression nested deeper than "
                      f"{MAX_DEPTH}"),
]


@pytest.mark.parametrize(("text", "message"), REFUSED, ids=[t[:20] or "empty" for t, _ in REFUSED])
def test_refusals_name_the_position(text, message):
    with pytest.raises(ParseError) as info:
        parse_expr_safe(text)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)                      # one line, as the CLI contract says


def test_parse_error_pointer_marks_the_column():
    with pytest.raises(ParseError) as info:
        parse_expr_safe("x + y^2")
    assert info.value.position == 5
    assert info.value.pointer() == "  x + y^2\n       ^"


def test_non_text_is_refused():
    with pytest.raises(ParseError, match="expected expression text, got int"):
        parse_expr_safe(3)


def test_no_code_runs(tmp_path, monkeypatch):
    """Text that would run code under eval must never reach an evaluator."""
    marker = tmp_path / "ran"
    monkeypatch.chdir(tmp_path)
    for text in [f"open('{marker}', 'w')", "__import__('os').system('touch ran')",
                 "().__class__.__bases__[0].__subclasses__()"]:
        with pytest.raises(ParseError):
            parse_expr_safe(text)
    assert not marker.exists() and not (tmp_path / "ran").exists()

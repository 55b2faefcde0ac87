"""Arithmetic a model may ask the demo server for, parsed with `ast` and never `eval`.

Only numbers, + - * / // % **, unary minus and plus, and parentheses. Sizes are capped so an
expression cannot make the server compute for long or fill memory (`9**9**9`).
"""

from __future__ import annotations

import ast
import math
import operator

from rtchat.errors import InputFailure

MAX_EXPRESSION = 1_000  # characters; deeper nesting than this could exhaust the parser
MAX_BITS = 4_096  # an integer result larger than this is refused (about 1,233 digits)

BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}


class Refused(InputFailure):
    """An expression rtchat will not compute, and why (said to the model)."""


def calculate(expression: str) -> int | float:
    if len(expression) > MAX_EXPRESSION:
        raise Refused(f"the expression is longer than {MAX_EXPRESSION} characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
        return checked(evaluate(tree.body))
    except (SyntaxError, ValueError) as exc:
        raise Refused(f"not an arithmetic expression: {getattr(exc, 'msg', exc)}") from None
    except (RecursionError, MemoryError):
        raise Refused("the expression is nested too deeply") from None
    except ZeroDivisionError:
        raise Refused("division by zero") from None
    except OverflowError:
        raise Refused("the result is too large") from None


def evaluate(node: ast.AST) -> int | float:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.UnaryOp) and type(node.op) in UNARY:
        return UNARY[type(node.op)](evaluate(node.operand))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        return power(evaluate(node.left), evaluate(node.right))
    if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
        return checked(BINARY[type(node.op)](evaluate(node.left), evaluate(node.right)))
    raise Refused(f"only numbers, + - * / // % ** and parentheses are allowed, not {type(node).__name__}")


def power(base: int | float, exponent: int | float) -> int | float:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0:
        if abs(base) > 1 and (abs(base).bit_length() - 1) * exponent > MAX_BITS:
            raise OverflowError
        return base**exponent
    result = float(base) ** float(exponent)  # float: overflows with OverflowError, never a huge int
    if isinstance(result, complex):
        raise Refused("the result is not a real number")
    return result


def checked(value: int | float) -> int | float:
    if isinstance(value, int) and value.bit_length() > MAX_BITS:
        raise OverflowError
    if isinstance(value, float) and not math.isfinite(value):
        raise OverflowError
    return value

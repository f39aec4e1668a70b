"""A Jinja2 sandbox with a bounded cost: templates people write in Slack cannot freeze or flood a process.

Jinja's own SandboxedEnvironment keeps templates away from Python's internals but not from
costly work: `{{ 9**(9**7) }}` froze `web` for seconds, `{{ 'x' * 10**7 }}` made a 10 MB text, and
`range(10**6)` raised an error nobody caught. `LimitedEnvironment` adds limits on size and work:

- powers, products, sums and `~` joins whose result would exceed the limits are refused before
  they are computed;
- `range()` makes at most MAX_RANGE items; numbers passed to filters and methods are at most
  MAX_ARGUMENT (widths, counts, paddings); printf- and format-style widths likewise;
- a string or list made by a filter or method is at most MAX_OUTPUT long, and so is the output;
- a render stops after TIME_BUDGET seconds of template code (loops over nothing included).

Every refusal raises TemplateError saying what was too big.
"""

from __future__ import annotations

import functools
import math
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from types import FrameType
from typing import Any

import jinja2
from jinja2.compiler import CodeGenerator, Frame
from jinja2.nodes import Concat
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

MAX_BODY = 5_000  # characters of a template people write
MAX_OUTPUT = 100_000  # characters a render, or any text or list made on the way, may hold (prompts included)
MAX_RANGE = 1_000
MAX_ARGUMENT = 1_000
MAX_INT_BITS = 256  # about 77 digits: no caption counts past that
TIME_BUDGET = 0.5  # seconds; a library template renders in well under a millisecond

_TEMPLATE_FILE = "<template>"  # the file name Jinja gives code compiled from a string
_WIDE_FORMAT = re.compile(r"(%[-#0 +]*\d{5,})|(%[-#0 +]*\d*\.\d{5,})|(\{[^{}]*:[^{}]*\d{5,}[^{}]*\})")


class TemplateError(ValueError):
    """A template or a library entry is invalid; the message says what and where."""


class TooCostly(TemplateError):
    """A template asked for more work or text than a template may."""


def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes | list | tuple) else 0


def _check_size(value: Any, what: str) -> Any:
    if _size(value) > MAX_OUTPUT:
        raise TooCostly(f"{what} would make {_size(value):,} characters or items; at most {MAX_OUTPUT:,}")
    return value


def _check_format(template: Any) -> None:
    if isinstance(template, str) and _WIDE_FORMAT.search(template):
        raise TooCostly(f"a format width or precision is at most {MAX_ARGUMENT:,}")


def _check_arguments(args: tuple[Any, ...], kwargs: Mapping[str, Any], what: str) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_ARGUMENT:
            raise TooCostly(f"{what} takes numbers up to {MAX_ARGUMENT:,}, not {_short(value)}")
        if isinstance(value, float) and math.isfinite(value) and abs(value) > MAX_ARGUMENT:
            raise TooCostly(f"{what} takes numbers up to {MAX_ARGUMENT:,}, not {value:g}")


def _short(number: int) -> str:
    digits = number.bit_length() * 0.30103
    return f"{number:,}" if digits < 20 else f"a {int(digits) + 1}-digit number"


def _check_replace(text: Any, old: Any, new: Any) -> None:
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
        count = len(text) + 1 if old == "" else text.count(old)
        if len(text) + count * (len(new) - len(old)) > MAX_OUTPUT:
            raise TooCostly(f"replace would make more than {MAX_OUTPUT:,} characters")


def limited_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise TooCostly(f"range() makes at most {MAX_RANGE:,} numbers, not {len(numbers):,}")
    return numbers


def _limited_filter(name: str, implementation: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(implementation)  # keeps Jinja's pass_context & co. markers
    def limited(*args: Any, **kwargs: Any) -> Any:
        values = [a for a in args if not isinstance(a, jinja2.runtime.Context | jinja2.nodes.EvalContext)]
        values = [a for a in values if not isinstance(a, jinja2.Environment)]
        _check_arguments(tuple(values[1:]), kwargs, f"the {name} filter")
        if name == "format" and values:
            _check_format(values[0])
        if name == "replace" and len(values) >= 3:
            _check_replace(values[0], values[1], values[2])
        return _check_size(implementation(*args, **kwargs), f"the {name} filter")

    return limited


class _LimitedCodeGenerator(CodeGenerator):
    """Jinja joins `a ~ b` with a plain str.join; route it through the environment's size check."""

    def visit_Concat(self, node: Concat, frame: Frame) -> None:
        self.write("environment.checked_join((")
        for argument in node.nodes:
            self.visit(argument, frame)
            self.write(", ")
        self.write("))")


class LimitedEnvironment(SandboxedEnvironment):
    code_generator_class = _LimitedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals["range"] = limited_range
        # lipsum(n) writes n paragraphs: nothing a caption needs.
        self.globals.pop("lipsum", None)
        self.filters = {name: _limited_filter(name, f) for name, f in self.filters.items()}

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            self._check_power(left, right)
        elif operator == "*":
            self._check_product(left, right)
        elif operator == "+" and _size(left) + _size(right) > MAX_OUTPUT:
            raise TooCostly(f"joining these would make more than {MAX_OUTPUT:,} characters or items")
        elif operator == "%":
            _check_format(left)
        try:
            return super().call_binop(context, operator, left, right)
        except OverflowError as exc:
            raise TooCostly(f"a number too large for a template ({exc})") from None

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        name = getattr(__obj, "__name__", "a function")
        if __obj is not limited_range:
            _check_arguments(args, kwargs, f"{name}()")
        if name in ("format", "format_map", "__mod__"):
            _check_format(getattr(__obj, "__self__", None))
        if name == "replace" and len(args) >= 2:
            _check_replace(getattr(__obj, "__self__", None), args[0], args[1])
        return _check_size(super().call(__context, __obj, *args, **kwargs), f"{name}()")

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        _check_format(getattr(value, "__self__", None))
        return super().wrap_str_format(value)

    def checked_join(self, parts: tuple[Any, ...]) -> str:
        joined = "".join(map(str, parts))
        _check_size(joined, "joining with ~")
        return joined

    @staticmethod
    def _check_power(base: Any, exponent: Any) -> None:
        if not isinstance(base, int | float) or not isinstance(exponent, int | float):
            return
        magnitude = abs(float(base)) if abs(base) < 2**1000 else math.inf
        if magnitude > 1 and exponent > 0 and exponent * math.log2(magnitude) > MAX_INT_BITS:
            raise TooCostly(f"powers in a template stay under 2**{MAX_INT_BITS}")

    @staticmethod
    def _check_product(left: Any, right: Any) -> None:
        if isinstance(left, int) and isinstance(right, int):
            if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise TooCostly(f"products in a template stay under 2**{MAX_INT_BITS}")
            return
        for sequence, count in ((left, right), (right, left)):
            if _size(sequence) and isinstance(count, int) and _size(sequence) * count > MAX_OUTPUT:
                raise TooCostly(f"repeating this would make more than {MAX_OUTPUT:,} characters or items")


def render_within_budget(template: jinja2.Template, values: Mapping[str, Any]) -> str:
    """The template's output, stopped at MAX_OUTPUT characters or TIME_BUDGET seconds of its own code.

    The budget is watched by a trace function on the template's frames only (Jinja compiles a
    template to Python, and every loop step is a line event), so an empty loop is stopped too.
    """
    deadline = time.monotonic() + TIME_BUDGET

    def watch_lines(frame: FrameType, event: str, arg: Any) -> Any:
        if time.monotonic() > deadline:
            raise TooCostly(f"the template took longer than {TIME_BUDGET:g} s to write")
        return watch_lines

    def watch_calls(frame: FrameType, event: str, arg: Any) -> Any:
        return watch_lines if frame.f_code.co_filename == _TEMPLATE_FILE else None

    previous = sys.gettrace()
    sys.settrace(watch_calls)
    try:
        return "".join(_bounded(template.generate(values)))
    except RecursionError:
        raise TooCostly("the template calls itself too deeply") from None
    except (OverflowError, MemoryError) as exc:
        raise TooCostly(f"the template asked for too much ({exc.__class__.__name__})") from None
    finally:
        sys.settrace(previous)


def _bounded(chunks: Iterator[str]) -> Iterator[str]:
    written = 0
    for chunk in chunks:
        written += len(chunk)
        if written > MAX_OUTPUT:
            raise TooCostly(f"the template writes more than {MAX_OUTPUT:,} characters")
        yield chunk

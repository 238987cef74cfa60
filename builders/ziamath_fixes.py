"""Two typesetting fixes for ziamath's print path: a unary minus spaced as unary, room after scripts."""
from __future__ import annotations

import re

_ORIGINAL: list = []  # ziamath's place_sub and place_super, kept at the first install (ziamath is imported then)

# A minus is unary (TeX's rule) after nothing, an opening delimiter, punctuation, a relation or
# a binary operator. MathML infers a prefix form only for a row's first element, so `[-1, 1]`
# got binary spacing; braced as `{-}`, the minus is first in its own row.
_UNARY = re.compile(r"((?:^|[(\[,;:=<>&+\-]|\\\{|\\(?:langle|lbrack|le|leq|ge|geq|ne|neq|approx|sim|to|in|pm|mp"
                    r"|times|cdot|mid|left[(\[|]|\\))\s*)-(?![-}])")


def unary_minus(tex: str) -> str:
    """`tex` with each unary minus braced, so it is laid out as a prefix operator."""
    return _UNARY.sub(r"\1{-}", tex)


def _with_script_space(place):  # noqa: ANN001, ANN202 - wraps ziamath's place_sub/place_super
    def placed(base, script, font):  # noqa: ANN001, ANN202
        x, y, advance = place(base, script, font)
        if base.params.get("movablelimits") == "true" and base.style.displaystyle:
            return x, y, advance  # a limit under or over, not a script beside
        return x, y, advance + base.units_to_points(font.math.consts.spaceAfterScript)

    return placed


def install() -> None:
    """Leave the MATH table's space after a sub- or superscript (TeX's \\scriptspace), so a
    script clears what follows (`softmax_j(` no longer touches the parenthesis)."""
    from ziamath.nodes import msubsup

    if not _ORIGINAL:
        _ORIGINAL[:] = [msubsup.place_sub, msubsup.place_super]
    msubsup.place_sub, msubsup.place_super = (_with_script_space(place) for place in _ORIGINAL)


def uninstall() -> None:
    """Back to ziamath as shipped (tests)."""
    from ziamath.nodes import msubsup

    if _ORIGINAL:
        msubsup.place_sub, msubsup.place_super = _ORIGINAL

"""Number and unit formatting for anything a person reads.

Medication-safety rules (ISMP): no trailing zeros ("5 mg", never "5.0 mg"), always a
leading zero ("0.5"), a space between number and unit, and "mcg" rather than "µg".
"""

from __future__ import annotations

from decimal import Decimal


def fmt_number(value: float | int, max_decimals: int = 6) -> str:
    """``412.0`` -> ``"412"``, ``0.20`` -> ``"0.2"``, ``.5`` -> ``"0.5"``; never exponent form."""
    rounded = round(float(value), max_decimals)
    if rounded == 0:
        return "0"
    text = format(Decimal(repr(rounded)).normalize(), "f")
    return text


def fmt_quantity(value: float | int, unit: str, max_decimals: int = 6) -> str:
    return f"{fmt_number(value, max_decimals)} {display_unit(unit)}"


def display_unit(unit: str) -> str:
    """Spell a stored unit for display: micro is always "mc" (mcg/mL, mcg/g)."""
    return unit.replace("µg", "mcg").replace("μg", "mcg").replace("ug/", "mcg/")

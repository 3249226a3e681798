"""The record's controlled vocabulary, read from ``resources/vocabulary.json``.

The data file is the single source of indication codes, products, lab tests and
their accepted units; the case-file JSON Schema repeats the codes for readers and
``tests/test_vocabulary.py`` keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from clinic_gui.resources import load_json


@dataclass(frozen=True, slots=True)
class LabTest:
    code: str
    label: str
    canonical_unit: str | None
    units: dict[str, float | None]
    plausible_max_canonical: float | None

    def match_unit(self, unit: str) -> str | None:
        """The accepted spelling ``unit`` stands for, or None when it is not accepted.

        Matching ignores case and treats "µ" and "mc" as "u" (so "mg/dl" is mg/dL), but never
        confuses mg/dL with mg/L: the letters themselves must agree.
        """
        wanted = _unit_key(unit)
        for accepted in self.units:
            if _unit_key(accepted) == wanted:
                return accepted
        return None

    def to_canonical(self, value: float, unit: str) -> float | None:
        accepted = self.match_unit(unit)
        if accepted is None:
            return None
        factor = self.units[accepted]
        return None if factor is None else value * factor


def _unit_key(unit: str) -> str:
    key = unit.strip().lower().replace(" ", "")
    return key.replace("µ", "u").replace("μ", "u").replace("mcg", "ug")


@dataclass(frozen=True, slots=True)
class Vocabulary:
    version: str
    indications: dict[str, str]
    indication_short: dict[str, str]
    products: dict[str, str]
    product_routes: dict[str, str]
    lab_tests: dict[str, LabTest]
    sexes: tuple[str, ...]
    reaction_grades: tuple[str, ...]
    diary_sources: tuple[str, ...]
    lab_timings: tuple[str, ...]
    antibody_interpretations: tuple[str, ...]
    vital_phases: tuple[str, ...]
    ranges: dict[str, tuple[float, float]]


@cache
def vocabulary() -> Vocabulary:
    raw = load_json("vocabulary.json")
    return Vocabulary(
        version=raw["version"],
        indications={i["code"]: i["label"] for i in raw["indications"]},
        indication_short={i["code"]: i["short"] for i in raw["indications"]},
        products={p["name"]: p["nonproprietary"] for p in raw["products"]},
        product_routes={p["name"]: p["route"] for p in raw["products"]},
        lab_tests={
            t["code"]: LabTest(
                code=t["code"],
                label=t["label"],
                canonical_unit=t["canonical_unit"],
                units=dict(t["units"]),
                plausible_max_canonical=t["plausible_max_canonical"],
            )
            for t in raw["lab_tests"]
        },
        sexes=tuple(raw["sexes"]),
        reaction_grades=tuple(raw["reaction_grades"]),
        diary_sources=tuple(raw["diary_sources"]),
        lab_timings=tuple(raw["lab_timings"]),
        antibody_interpretations=tuple(raw["antibody_interpretations"]),
        vital_phases=tuple(raw["vital_phases"]),
        ranges={
            k: (float(v[0]), float(v[1]))
            for k, v in raw["plausible_ranges"].items()
            if k != "source"
        },
    )

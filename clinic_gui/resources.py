"""Where the versioned data files under ``resources/`` are found.

In a checkout (and an editable install) they sit beside the package; in a frozen
bundle PyInstaller unpacks them under ``sys._MEIPASS``. Nothing here imports Qt.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any


def resources_dir() -> Path:
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


@cache
def load_json(*parts: str) -> Any:
    """Parse a JSON resource once per process (the files are read-only data)."""
    with resource_path(*parts).open(encoding="utf-8") as handle:
        return json.load(handle)

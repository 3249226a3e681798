"""Where the app keeps its files (platformdirs; never inside the install folder).

- the clinic database: ``<user data dir>/clinic.sqlite`` unless ``--db`` names another;
- the demo clinic: ``<user data dir>/demo.sqlite`` (``--demo``), synthetic patients only;
- backups made before schema upgrades: ``backups/`` beside the database in use.
"""

from __future__ import annotations

from pathlib import Path

from platformdirs import PlatformDirs

APP_NAME = "clinic_gui"


def dirs() -> PlatformDirs:
    # appauthor=False: no doubled "clinic_gui/clinic_gui" folder on Windows; roaming=False keeps
    # SQLite out of roaming profiles that sync between machines.
    return PlatformDirs(APP_NAME, appauthor=False, roaming=False)


def default_database() -> Path:
    return Path(dirs().user_data_dir) / "clinic.sqlite"


def demo_database() -> Path:
    return Path(dirs().user_data_dir) / "demo.sqlite"

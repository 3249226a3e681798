"""The main window: the patient list on the left, the selected patient in the centre."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clinic_gui.domain.case_file import CaseFileError, case_to_json, parse_case
from clinic_gui.store.cases import DuplicatePatient, insert_case, read_case
from clinic_gui.store.connection import ClinicDatabase
from clinic_gui.store.patients import count_patients, search_patients
from clinic_gui.ui.patient_list_model import PatientListModel
from clinic_gui.ui.patient_summary import PatientSummary

LIST_LIMIT = 1000


class MainWindow(QMainWindow):
    def __init__(self, db: ClinicDatabase, db_path: Path, today: dt.date | None = None) -> None:
        super().__init__()
        self.db = db
        self.db_path = db_path
        self.today = today or dt.date.today()
        self.setWindowTitle(f"clinic_gui — {db_path.name}")
        self.resize(1280, 800)

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search MRN or name  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.model = PatientListModel(today=self.today)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.list_note = QLabel()
        self.list_note.setWordWrap(True)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(8, 8, 4, 8)
        left_layout.addWidget(self.search)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.list_note)

        self.summary = PatientSummary()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.summary)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([520, 760])
        self.setCentralWidget(splitter)

        self._build_menus()
        self.search.textChanged.connect(self.refresh_list)
        self.search.returnPressed.connect(self._open_first_match)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row)
        self.table.activated.connect(self._on_current_row)
        self.refresh_list()

    # -- menus -------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.import_action = QAction("&Import case…", self, shortcut=QKeySequence("Ctrl+I"))
        self.import_action.triggered.connect(self._choose_case_to_import)
        self.export_action = QAction("&Export case…", self, shortcut=QKeySequence("Ctrl+E"))
        self.export_action.triggered.connect(self._choose_export_target)
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        for action in (self.import_action, self.export_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        find = QAction("Find patient", self, shortcut=QKeySequence.StandardKey.Find)
        find.triggered.connect(self.focus_search)
        self.addAction(find)

    # -- patient list ------------------------------------------------------------------------
    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def refresh_list(self) -> None:
        current = self.current_mrn()
        rows = search_patients(self.db, self.search.text(), limit=LIST_LIMIT)
        self.model.set_rows(rows)
        total = count_patients(self.db)
        if len(rows) >= LIST_LIMIT:
            self.list_note.setText(f"Showing the first {LIST_LIMIT} matches; type more to narrow.")
        elif self.search.text().strip():
            self.list_note.setText(f"{len(rows)} of {total} patients match.")
        else:
            self.list_note.setText(f"{total} patients.")
        self.statusBar().showMessage(f"Database: {self.db_path}   ·   {total} patients")
        row = self.model.row_of(current) if current else None
        if row is None and self.search.text().strip() and len(rows) == 1:
            row = 0  # a search that leaves one patient (a scanned MRN) opens them
        if row is not None:
            self.table.selectRow(row)
        else:
            self.summary.show_nothing()

    def current_mrn(self) -> str | None:
        index = self.table.currentIndex()
        if not index.isValid() or index.row() >= self.model.rowCount():
            return None
        return self.model.row_at(index.row()).mrn

    def open_patient(self, mrn: str) -> None:
        self.summary.show_case(read_case(self.db, mrn), today=self.today)

    def _on_current_row(self, index: QModelIndex, _previous: QModelIndex | None = None) -> None:
        if index.isValid():
            self.open_patient(self.model.row_at(index.row()).mrn)

    def _open_first_match(self) -> None:
        if self.model.rowCount() == 0:
            return
        self.table.selectRow(0)
        self.table.setFocus()

    # -- import / export ---------------------------------------------------------------------
    def import_case_file(self, path: Path) -> tuple[bool, str]:
        """Import one case file; returns (imported, message). Nothing is written on failure."""
        try:
            case = parse_case(json.loads(path.read_text(encoding="utf-8")))
            insert_case(self.db, case)
        except (OSError, UnicodeDecodeError) as exc:
            return False, f"Cannot read {path.name}: {exc}"
        except json.JSONDecodeError as exc:
            return False, f"{path.name} is not valid JSON: {exc.msg} at line {exc.lineno}."
        except (CaseFileError, DuplicatePatient) as exc:
            return False, f"{path.name} was not imported; nothing was written.\n\n{exc}"
        self.search.clear()
        self.refresh_list()
        row = self.model.row_of(case.patient.mrn)
        if row is not None:
            self.table.selectRow(row)
        return True, f"Imported {case.patient.mrn} ({case.patient.name})."

    def export_case_file(self, mrn: str, path: Path) -> str:
        text = json.dumps(case_to_json(read_case(self.db, mrn)), indent=1, ensure_ascii=False)
        path.write_text(text + "\n", encoding="utf-8")
        return f"Exported {mrn} to {path}."

    def _choose_case_to_import(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Import case", "", "Case files (*.json);;All files (*)"
        )
        if not name:
            return
        ok, message = self.import_case_file(Path(name))
        if ok:
            self.statusBar().showMessage(message, 8000)
        else:
            QMessageBox.warning(self, "Case not imported", message)

    def _choose_export_target(self) -> None:
        mrn = self.current_mrn()
        if mrn is None:
            QMessageBox.information(self, "Export case", "Select a patient first.")
            return
        name, _ = QFileDialog.getSaveFileName(
            self, "Export case", f"{mrn}.json", "Case files (*.json)"
        )
        if name:
            self.statusBar().showMessage(self.export_case_file(mrn, Path(name)), 8000)

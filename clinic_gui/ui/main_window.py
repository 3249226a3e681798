"""The main window: the patient list on the left; the chart and the worklist in the centre."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QModelIndex, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clinic_gui.domain.access import ADMIN, ROLE_LABELS, Permission, User, roles_allowed
from clinic_gui.domain.case_file import (
    CaseFileError,
    case_to_json,
    load_case_file,
    read_case_bytes,
)
from clinic_gui.domain.vocabulary import vocabulary
from clinic_gui.domain.worklist import ClinicOverview, PatientFlags
from clinic_gui.store import entries
from clinic_gui.store.audit import verify_chain
from clinic_gui.store.cases import insert_case, read_case
from clinic_gui.store.chart import TABLE_OF, load_chart
from clinic_gui.store.connection import (
    ClinicDatabase,
    DamagedDatabase,
    HealthGate,
    run_deferred_check,
)
from clinic_gui.store.entries import SAVE_REFUSED
from clinic_gui.store.patients import PatientCount, search_patients
from clinic_gui.store.session import unlocks_without_password
from clinic_gui.store.settings import IDLE_LOCK_MINUTES, get_setting
from clinic_gui.ui.admin.audit_view import AuditView
from clinic_gui.ui.admin.backups import BackupActions
from clinic_gui.ui.admin.settings_dialog import SettingsDialog
from clinic_gui.ui.admin.users_dialog import UsersDialog
from clinic_gui.ui.background import BackgroundTask, wait_for_background_work
from clinic_gui.ui.chart.chart_view import ChartView
from clinic_gui.ui.dialogs.diary_dialog import DiaryDialog
from clinic_gui.ui.dialogs.form import RecordForm
from clinic_gui.ui.dialogs.infusion_dialog import InfusionDialog
from clinic_gui.ui.dialogs.lab_dialog import LabDialog
from clinic_gui.ui.dialogs.patient_dialog import PatientDialog
from clinic_gui.ui.dialogs.regimen_dialog import RegimenDialog
from clinic_gui.ui.dialogs.void_dialog import VoidDialog
from clinic_gui.ui.dialogs.weight_dialog import WeightDialog
from clinic_gui.ui.patient_list_model import PatientListModel
from clinic_gui.ui.row_table_model import read_only_table
from clinic_gui.ui.session_lock import SessionLock
from clinic_gui.ui.worklist_view import WorklistView

# At most this many patients are listed (type more to narrow): enough to scroll through,
# and a keystroke stays within 15 ms on a 50,000-patient clinic (docs/benchmarks-search.md).
LIST_LIMIT = 200

# The store function that saves each kind of entry (one transaction each).
_ENTRY_WRITERS: dict[str, Callable[..., object]] = {
    "infusion": entries.record_infusion,
    "weight": entries.add_weight,
    "diary": entries.add_diary_entry,
    "lab": entries.add_lab_result,
    "regimen": entries.add_regimen,
}

# The permission each action needs (the store checks it again at every save).
_RECORD_PERMISSIONS: dict[str, Permission] = {
    "infusion": Permission.RECORD_ENTRY,
    "weight": Permission.RECORD_ENTRY,
    "diary": Permission.RECORD_ENTRY,
    "lab": Permission.RECORD_ENTRY,
    "regimen": Permission.CHANGE_REGIMEN,
    "edit_patient": Permission.EDIT_PATIENT,
    "void": Permission.VOID_ENTRY,
}


def needs_role_text(action_text: str, permission: Permission) -> str:
    """ "Change regimen… needs the physician role": why an action is greyed out."""
    allowed = " or ".join(ROLE_LABELS[r].lower() for r in roles_allowed(permission))
    return f"{action_text.replace('&', '')} needs the {allowed} role"


DAMAGED_TIP = "The database is damaged: nothing can be saved until a backup is restored"

# Patient-list filters on the flags of the last whole-clinic assessment.
FLAG_FILTERS: dict[str, str] = {
    "": "All patients",
    "wearing_off": "Possible wearing off",
    "tdm": "Trough advisable or results to review",
    "overdue": "Infusion overdue",
}


def _passes(flags: PatientFlags | None, wanted: str) -> bool:
    if not wanted:
        return True
    if flags is None:
        return False
    return {
        "wearing_off": flags.wearing_off,
        "tdm": flags.tdm_attention,
        "overdue": flags.overdue,
    }[wanted]


class MainWindow(QMainWindow):
    # The signed-in user changed (someone else signed in at the lock screen).
    user_changed = Signal(object)
    # The database check left for after start-up ended: the DamagedDatabase, or None.
    health_checked = Signal(object)

    def __init__(
        self,
        db: ClinicDatabase,
        db_path: Path,
        today: dt.date | None = None,
        *,
        user: User,
        settings: QSettings | None = None,
        assess_clinic_on_start: bool = True,
    ) -> None:
        super().__init__()
        self.db = db
        self.db_path = db_path
        self.user = user
        self.today = today or dt.date.today()
        self.settings = settings if settings is not None else QSettings()
        self._patient_open = False
        self._patient_count = PatientCount()  # counted again only after a change
        self._stays_signed_in = False
        self.damage: DamagedDatabase | None = None  # found after start-up: read-only
        self._gate: HealthGate | None = None
        self.resize(1366, 800)

        # -- left: the patient list ------------------------------------------------------------
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search MRN or name  (Ctrl+F)")
        self.search.setAccessibleName("Search patients by MRN or name")
        self.search.setClearButtonEnabled(True)
        self.indication_filter = QComboBox()
        self.indication_filter.setAccessibleName("Filter by indication")
        self.indication_filter.addItem("All indications", None)
        for code, label in vocabulary().indications.items():
            self.indication_filter.addItem(label, code)
        self.flag_filter = QComboBox()
        self.flag_filter.setAccessibleName("Filter by flag")
        for key, label in FLAG_FILTERS.items():
            self.flag_filter.addItem(label, key)
        for combo in (self.indication_filter, self.flag_filter):
            # Shrinkable, so the list can be narrow beside a chart on a 1366-pixel screen.
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(8)
        filters = QHBoxLayout()
        filters.addWidget(self.indication_filter, 1)
        filters.addWidget(self.flag_filter, 1)
        self.model = PatientListModel(today=self.today)
        self.table = read_only_table(QTableView(), self.model, "Patient list")
        header = self.table.horizontalHeader()
        # Every column fits its content (a name is never cut to "…"); the last takes what is
        # left, and a narrow list scrolls sideways rather than hiding who the patient is.
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.list_note = QLabel()
        self.list_note.setWordWrap(True)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(8, 8, 4, 8)
        left_layout.addWidget(self.search)
        left_layout.addLayout(filters)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.list_note)

        # -- centre: chart and worklist ------------------------------------------------------
        self.chart = ChartView(today=self.today)
        self.chart.setAccessibleName("Patient chart")
        self.chart.clear()
        self.chart.set_session(self.db, self.user, on_saved=self.refresh_worklist)
        self.backups = BackupActions(db_path, user, self)
        self.worklist = WorklistView(db_path, today=self.today)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.chart, "&Chart")
        self.tabs.addTab(self.worklist, "&Worklist")

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([390, 976])
        # Page 0: the record; page 1: the lock screen (``session_lock``), which replaces it.
        self.stack = QStackedWidget()
        self.stack.addWidget(self.splitter)
        self.setCentralWidget(self.stack)
        self.session = SessionLock(
            self,
            self.stack,
            self.splitter,
            db,
            db_path,
            user,
            minutes=get_setting(db, IDLE_LOCK_MINUTES),
        )

        self.db_label = QLabel(f"Database: {db_path}")
        self.user_label = QLabel()
        self.work_label = QLabel()
        for label in (self.db_label, self.user_label, self.work_label):
            label.setTextFormat(Qt.TextFormat.PlainText)
            self.statusBar().addPermanentWidget(label)

        self._build_menus()
        self.session.locked_changed.connect(self._on_locked_changed)
        self.session.user_changed.connect(self.set_user)
        self._show_user()
        self.search.textChanged.connect(self.refresh_list)
        self.search.returnPressed.connect(self._open_first_match)
        self.indication_filter.currentIndexChanged.connect(self.refresh_list)
        self.flag_filter.currentIndexChanged.connect(self.refresh_list)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row)
        self.table.activated.connect(self._on_activated)
        self.worklist.patient_activated.connect(self.show_patient)
        self.worklist.overview_ready.connect(self._apply_overview)
        self._restore_settings()
        self.refresh_list()
        self.session.start()
        if assess_clinic_on_start:
            QTimer.singleShot(0, self.refresh_worklist)

    # -- menus -------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.new_patient_action = QAction(
            "&New patient…", self, shortcut=QKeySequence.StandardKey.New
        )
        self.new_patient_action.triggered.connect(lambda: self.open_entry_dialog("patient"))
        file_menu.addAction(self.new_patient_action)
        file_menu.addSeparator()
        self.import_action = QAction("&Import case…", self, shortcut=QKeySequence("Ctrl+I"))
        self.import_action.triggered.connect(self._choose_case_to_import)
        self.export_action = QAction("&Export case…", self, shortcut=QKeySequence("Ctrl+E"))
        self.export_action.triggered.connect(self._choose_export_target)
        self.lock_action = QAction("&Lock", self, shortcut=QKeySequence("Ctrl+L"))
        self.lock_action.setStatusTip("Hide the record until you type your password again")
        self.lock_action.triggered.connect(self.lock)
        self.sign_out_action = QAction("Sign &out", self)
        self.sign_out_action.triggered.connect(self.sign_out)
        self.quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(self.close)
        file_menu.addAction(self.import_action)
        file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        file_menu.addAction(self.lock_action)
        file_menu.addAction(self.sign_out_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        self.file_menu = file_menu

        record_menu = self.menuBar().addMenu("&Record")
        self.record_menu = record_menu
        self.record_actions: dict[str, QAction] = {}
        for kind, text, keys in (
            ("infusion", "Record &infusion…", "Ctrl+R"),
            ("weight", "Record &weight…", "Ctrl+Shift+W"),
            ("diary", "Add &diary entry…", "Ctrl+D"),
            ("lab", "Add &lab result…", "Ctrl+Shift+L"),
            ("regimen", "Change &regimen…", "Ctrl+Shift+R"),
            ("edit_patient", "&Edit patient details…", "Ctrl+Shift+E"),
            ("void", "&Void the selected entry…", "Ctrl+Shift+Del"),
        ):
            action = QAction(text, self, shortcut=QKeySequence(keys))
            action.triggered.connect(lambda _checked=False, k=kind: self.open_entry_dialog(k))
            action.setEnabled(False)
            record_menu.addAction(action)
            self.record_actions[kind] = action

        view_menu = self.menuBar().addMenu("&View")
        chart_action = QAction("&Chart", self, shortcut=QKeySequence("Ctrl+1"))
        chart_action.triggered.connect(lambda: self.tabs.setCurrentIndex(0))
        worklist_action = QAction("&Worklist", self, shortcut=QKeySequence("Ctrl+2"))
        worklist_action.triggered.connect(lambda: self.tabs.setCurrentIndex(1))
        refresh_action = QAction("&Refresh worklist and flags", self, shortcut=QKeySequence("F5"))
        refresh_action.triggered.connect(self.refresh_worklist)
        for action in (chart_action, worklist_action, refresh_action):
            view_menu.addAction(action)
        self.view_menu = view_menu

        find = QAction("Find patient", self, shortcut=QKeySequence.StandardKey.Find)
        find.triggered.connect(self.focus_search)
        self.addAction(find)

        # Shown to administrators only.
        self.admin_menu = self.menuBar().addMenu("&Admin")
        self.users_action = QAction("&Users…", self)
        self.users_action.triggered.connect(self.open_users_dialog)
        self.audit_action = QAction("&Audit trail…", self)
        self.audit_action.triggered.connect(self.open_audit_view)
        self.settings_action = QAction("&Settings…", self)
        self.settings_action.triggered.connect(self.open_settings_dialog)
        self.verify_action = QAction("&Verify audit trail", self)
        self.verify_action.triggered.connect(self.verify_audit_trail)
        self.backup_action = QAction("&Back up now", self)
        self.backup_action.setStatusTip("A verified copy in the backups folder beside the database")
        self.backup_action.triggered.connect(self.backups.back_up_now)
        self.restore_action = QAction("&Restore a backup…", self)
        self.restore_action.triggered.connect(self.backups.restore_backup)
        for action in (self.users_action, self.audit_action, self.settings_action):
            self.admin_menu.addAction(action)
        self.admin_menu.addSeparator()
        self.admin_menu.addAction(self.backup_action)
        self.admin_menu.addAction(self.restore_action)
        self.admin_menu.addSeparator()
        self.admin_menu.addAction(self.verify_action)
        self.backups.message.connect(lambda text: self.statusBar().showMessage(text, 20_000))
        self.backups.restored.connect(self._after_restore)

        # What each action needs; everything else only needs the screen unlocked.
        self._needs: dict[QAction, Permission] = {
            self.new_patient_action: Permission.REGISTER_PATIENT,
            self.import_action: Permission.IMPORT_CASE,
            self.export_action: Permission.EXPORT_CASE,
            self.users_action: Permission.MANAGE_USERS,
            self.audit_action: Permission.VIEW_AUDIT,
            self.settings_action: Permission.CHANGE_SETTINGS,
            self.verify_action: Permission.VIEW_AUDIT,
            self.backup_action: Permission.BACKUP,
            self.restore_action: Permission.RESTORE,
        }
        for kind, permission in _RECORD_PERMISSIONS.items():
            self._needs[self.record_actions[kind]] = permission
        # What saves something; off once the database is found damaged (restore stays on).
        self._writes = {
            self.new_patient_action,
            self.import_action,
            self.export_action,
            self.users_action,
            self.settings_action,
            self.backup_action,
            *self.record_actions.values(),
        }
        self._unlocked_only = [
            chart_action,
            worklist_action,
            refresh_action,
            find,
            self.lock_action,
            self.sign_out_action,
        ]
        self._menus: list[QMenu] = [file_menu, record_menu, view_menu, self.admin_menu]
        for menu in self._menus:
            menu.setToolTipsVisible(True)  # a greyed-out action says which role it needs

    # -- the signed-in user, locking -----------------------------------------------------------
    def _show_user(self) -> None:
        # On the demo clinic the demo user is the only user: nobody to sign out for.
        self._stays_signed_in = unlocks_without_password(self.db, self.user)
        demo = "  ·  DEMO: synthetic patients" if self.user.demo else ""
        self.user_label.setText(f"User: {self.user.full_name} ({self.user.role_text}){demo}")
        self._update_title()
        self.admin_menu.menuAction().setVisible(ADMIN in self.user.roles)
        self.update_actions()

    def _update_title(self) -> None:
        # Qt appends the application's display name: "clinic.sqlite — clinic_gui".
        name = self.db_path.name
        if self.session.locked:
            self.setWindowTitle(f"Locked — {name}")
        elif self.user.demo:
            self.setWindowTitle(f"{name} — DEMO (synthetic patients)")
        else:
            self.setWindowTitle(name)

    def set_user(self, user: User) -> None:
        """Someone else signed in: the window carries on in their name."""
        self.user = user
        self.backups.user = user
        self.chart.set_session(self.db, user, on_saved=self.refresh_worklist)
        self._show_user()
        self.user_changed.emit(user)

    def update_actions(self) -> None:
        """Enable what the signed-in user may do now: nothing but Quit while locked; actions
        their roles do not allow are disabled with a tooltip naming the role needed."""
        locked = self.session.locked
        records = set(self.record_actions.values())
        for action, permission in self._needs.items():
            allowed = self.user.can(permission)
            needs_patient = action in records
            saves = self.damage is not None and action in self._writes
            action.setEnabled(
                allowed and not locked and not saves and (self._patient_open or not needs_patient)
            )
            tip = "" if allowed else needs_role_text(action.text(), permission)
            tip = DAMAGED_TIP if saves else tip
            action.setToolTip(tip)
            action.setStatusTip(tip)
        for action in self._unlocked_only:
            action.setEnabled(not locked)
        self.sign_out_action.setEnabled(not locked and not self._stays_signed_in)
        self.sign_out_action.setToolTip(
            "On the demo clinic the demo user stays signed in" if self._stays_signed_in else ""
        )
        for menu in self._menus:
            if menu is not self.file_menu:
                menu.menuAction().setEnabled(not locked)
        self.quit_action.setEnabled(True)

    def _on_locked_changed(self, locked: bool) -> None:
        if locked:
            self.statusBar().clearMessage()  # "Saved: Record infusion — <patient>"
        else:
            # Another workstation's administrator may have changed the idle time meanwhile.
            self.session.set_minutes(get_setting(self.db, IDLE_LOCK_MINUTES))
        self._update_title()
        self.update_actions()

    def lock(self) -> None:
        self.session.lock("by hand (Ctrl+L)")

    def sign_out(self) -> None:
        self.session.sign_out()

    # -- administration ------------------------------------------------------------------------
    def open_users_dialog(self) -> UsersDialog:
        dialog = UsersDialog(self.db, self.user, parent=self)
        dialog.open()
        return dialog

    def open_audit_view(self) -> AuditView:
        view = AuditView(self.db, parent=self)
        view.show()
        return view

    def open_settings_dialog(self) -> SettingsDialog:
        dialog = SettingsDialog(self.db, self.user, parent=self)
        dialog.accepted.connect(
            lambda: self.session.set_minutes(get_setting(self.db, IDLE_LOCK_MINUTES))
        )
        dialog.open()
        return dialog

    def verify_audit_trail(self) -> str:
        report = verify_chain(self.db)
        box = QMessageBox(
            QMessageBox.Icon.Information if report.ok else QMessageBox.Icon.Critical,
            "Verify audit trail",
            report.text(),
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.verify_box = box
        return report.text()

    def _after_restore(self, text: str) -> None:
        """The record was replaced under this window: say so, then close (start again)."""
        self.backups.tell("Backup restored", text)
        self.close()

    # -- settings ----------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        geometry = self.settings.value("main/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        splitter = self.settings.value("main/splitter")
        self.restored_layout = splitter is not None and self.splitter.restoreState(splitter)
        self._last_mrn = self.settings.value("main/last_patient", "", type=str)

    def save_settings(self) -> None:
        self.settings.setValue("main/geometry", self.saveGeometry())
        self.settings.setValue("main/splitter", self.splitter.saveState())
        self.settings.setValue("main/last_patient", self.current_mrn() or "")
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.session.stop()
        self.save_settings()
        self.stop_health_check()
        self.worklist.stop()
        wait_for_background_work()  # a worklist pass in flight finishes before we go
        super().closeEvent(event)

    # -- patient list ------------------------------------------------------------------------
    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def refresh_list(self) -> None:
        current = self.current_mrn() or self._last_mrn
        self._last_mrn = ""
        wanted = self.flag_filter.currentData() or ""
        rows = search_patients(
            self.db,
            self.search.text(),
            indication=self.indication_filter.currentData(),
            limit=LIST_LIMIT,
            # A flag filter searches among the flagged patients, not the first names only.
            among=self.model.flagged(lambda flags: _passes(flags, wanted)) if wanted else None,
        )
        self.model.set_rows(rows)
        total = self._patient_count(self.db)
        filtered = bool(self.search.text().strip()) or self.indication_filter.currentIndex() > 0
        if len(rows) >= LIST_LIMIT:
            self.list_note.setText(f"Showing the first {LIST_LIMIT} matches; type more to narrow.")
        elif filtered or wanted:
            self.list_note.setText(f"{len(rows)} of {total} patients match.")
        else:
            self.list_note.setText(f"{total} patients.")
        self.db_label.setText(f"Database: {self.db_path}  ·  {total} patients")
        row = self.model.row_of(current) if current else None
        if row is None and self.search.text().strip() and len(rows) == 1:
            row = 0  # a search that leaves one patient (a scanned MRN) opens them
        if row is not None:
            self.table.selectRow(row)
        else:
            self.chart.clear()
            self._patient_open = False
            self.update_actions()

    def current_mrn(self) -> str | None:
        index = self.table.currentIndex()
        if not index.isValid() or index.row() >= self.model.rowCount():
            return None
        return self.model.row_at(index.row()).mrn

    def open_patient(self, mrn: str) -> None:
        self.open_case = read_case(self.db, mrn)
        self.chart.show_case(self.open_case, today=self.today)
        self._patient_open = True
        self.update_actions()

    # -- data entry --------------------------------------------------------------------------
    def open_entry_dialog(self, kind: str) -> RecordForm | None:
        """Open a data-entry dialog (non-blocking); a save is one transaction, then refresh."""
        mrn = self.current_mrn() if kind != "patient" else None
        if kind != "patient" and mrn is None:
            QMessageBox.information(self, "Record", "Open a patient first (Ctrl+F to search).")
            return None
        case = read_case(self.db, mrn) if mrn else None
        actor = self.user
        today = self.today
        db = self.db
        dialog: RecordForm
        if kind == "void":
            assert mrn is not None
            voidable = self._voidable(mrn)
            if voidable is None:
                QMessageBox.information(
                    self, "Void entry",
                    "Select an infusion, diary entry or lab result in the chart first.",
                )  # fmt: skip
                return None
            table, row_id, what = voidable
            dialog = VoidDialog(
                what,
                save=lambda reason: entries.void_entry(
                    db, table, row_id, reason=reason, actor=actor
                ),
                parent=self,
            )
        elif kind == "patient":
            dialog = PatientDialog(
                today=today,
                save=lambda p: entries.add_patient(db, p, actor=actor, today=today),
                parent=self,
            )
        elif kind == "edit_patient":
            assert case is not None and mrn is not None
            # The version read now: a change saved elsewhere meanwhile is refused
            # (ChangedMeanwhile, shown in the dialog) instead of being overwritten.
            version = entries.patient_version(db, mrn)
            dialog = PatientDialog(
                today=today,
                patient=case.patient,
                save=lambda p: entries.update_patient(
                    db, mrn, p, actor=actor, today=today, expected_version=version
                ),
                parent=self,
            )
        else:
            assert case is not None and mrn is not None
            write = _ENTRY_WRITERS[kind]

            def save(record: object, **options: object) -> object:
                # options: ``confirmed`` warnings, passed back by the form after asking
                return write(db, mrn, record, actor=actor, today=today, **options)

            dialog = {
                "infusion": lambda: InfusionDialog(
                    case, today=today, nurse=actor.full_name, save=save
                ),
                "weight": lambda: WeightDialog(case, today=today, save=save),
                "diary": lambda: DiaryDialog(case, today=today, save=save),
                "lab": lambda: LabDialog(case, today=today, save=save),
                "regimen": lambda: RegimenDialog(
                    case, today=today, ordered_by=actor.full_name, save=save
                ),
            }[kind]()
            dialog.setParent(self, dialog.windowFlags())
        dialog.accepted.connect(lambda: self._after_entry(kind, dialog))
        dialog.open()
        return dialog

    def _voidable(self, mrn: str) -> tuple[str, int, str] | None:
        """(table, row id, description) of the entry selected in the chart, if any."""
        selected = self.chart.selected_entry()
        if selected is None or self.chart.case is None:
            return None
        kind, index = selected
        chart = load_chart(self.db, mrn)
        record = getattr(self.chart.case, kind)[index]
        when = getattr(record, "date", None) or getattr(record, "sample_date", None)
        label = {"infusions": "the infusion", "diary": "the diary entry", "labs": "the lab result"}
        return TABLE_OF[kind], chart.id_of(kind, index), f"{label[kind]} of {when}"

    def _after_entry(self, kind: str, dialog: RecordForm) -> None:
        record = dialog.last_record
        mrn = getattr(record, "mrn", None) if kind in ("patient", "edit_patient") else None
        self.refresh_list()
        self.show_patient(mrn or self.current_mrn() or "")
        self.statusBar().showMessage(f"Saved: {dialog.windowTitle()}.", 8000)
        self.refresh_worklist()

    def show_patient(self, mrn: str) -> None:
        """Select the patient in the list (clearing filters that hide them) and show the chart."""
        if self.model.row_of(mrn) is None:
            self.search.clear()
            self.indication_filter.setCurrentIndex(0)
            self.flag_filter.setCurrentIndex(0)
        row = self.model.row_of(mrn)
        if row is not None:
            self.table.selectRow(row)
        else:
            self.open_patient(mrn)
        self.tabs.setCurrentIndex(0)

    def _on_current_row(self, index: QModelIndex, _previous: QModelIndex | None = None) -> None:
        if index.isValid():
            self.open_patient(self.model.row_at(index.row()).mrn)

    def _on_activated(self, index: QModelIndex) -> None:
        self._on_current_row(index)
        self.tabs.setCurrentIndex(0)

    def _open_first_match(self) -> None:
        if self.model.rowCount() == 0:
            return
        self.table.selectRow(0)
        self.table.setFocus()
        self.tabs.setCurrentIndex(0)

    # -- whole-clinic assessment -------------------------------------------------------------
    def refresh_worklist(self) -> None:
        self.work_label.setText("Assessing the clinic…")
        self.worklist.refresh()

    def _apply_overview(self, overview: ClinicOverview) -> None:
        self.model.set_flags(overview.flags)
        self.work_label.setText("")
        if self.flag_filter.currentIndex() > 0:
            self.refresh_list()

    # -- the database check after start-up ---------------------------------------------------
    def check_health(self, gate: HealthGate) -> BackgroundTask:
        """Run the database check ``open_database`` deferred (``gate``) in the background;
        ``health_checked`` says how it ended. Until it has passed, every save is refused by
        the store (``HealthGate``), whatever asks for it."""
        self._gate = gate
        self.statusBar().showMessage(
            "Checking the database; saving is possible once the check has passed…"
        )
        task = BackgroundTask(lambda: run_deferred_check(gate), self)
        task.done.connect(self._on_health_checked)
        task.failed.connect(self._on_check_failed)
        task.start()
        return task

    def check_running(self) -> bool:
        return self._gate is not None and self._gate.pending and not self._gate.stopped

    def stop_health_check(self) -> None:
        """Closing: stop a check still running rather than wait for it to read the file."""
        if self._gate is not None and self._gate.pending:
            self._gate.interrupt()

    def _on_health_checked(self, damage: DamagedDatabase | None) -> None:
        if self._gate is not None and self._gate.stopped:
            return  # stopped unfinished: the window is closing
        if damage is not None:
            self.show_damage(damage)
        else:
            self.statusBar().showMessage("Database check passed.", 5000)
        self.health_checked.emit(damage)

    def _on_check_failed(self, message: str) -> None:
        if self._gate is not None and not self._gate.stopped:
            self.statusBar().showMessage(
                f"The database check could not finish, so nothing can be saved: {message}"
            )

    def show_damage(self, damage: DamagedDatabase) -> None:
        """The check found the file damaged: from now on the window only reads (its own
        connection is made query-only as well, behind the store's refusal)."""
        self.damage = damage
        self.db.execute("PRAGMA query_only = ON")
        self.db_label.setText(f"Database: {self.db_path}  ·  DAMAGED: read-only")
        self.statusBar().showMessage(
            "The database is damaged; nothing can be saved. Restore the latest good backup."
        )
        self.update_actions()

    # -- import / export ---------------------------------------------------------------------
    def import_case_file(self, path: Path) -> tuple[bool, str]:
        """Import one case file; returns (imported, message). Nothing is written on failure."""
        try:
            with path.open("rb") as stream:
                case = load_case_file(read_case_bytes(stream), path.name)
        except OSError as exc:
            return False, f"Cannot read {path.name}: {exc.strerror or exc}"
        except CaseFileError as exc:
            return False, f"{path.name} was not imported; nothing was written.\n\n{exc}"
        try:
            insert_case(self.db, case, actor=self.user)
        except SAVE_REFUSED as exc:
            return False, f"{path.name} was not imported; nothing was written.\n\n{exc}"
        self.search.clear()
        self.refresh_list()
        self.show_patient(case.patient.mrn)
        return True, f"Imported {case.patient.mrn} ({case.patient.name})."

    def export_case_file(self, mrn: str, path: Path) -> str:
        text = json.dumps(case_to_json(read_case(self.db, mrn)), indent=1, ensure_ascii=False)
        entries.record_export(self.db, mrn, actor=self.user, where=str(path))
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
            self.refresh_worklist()
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

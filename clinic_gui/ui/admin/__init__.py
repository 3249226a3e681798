"""The administrator's windows: users, the clinic-wide audit trail and the clinic's settings.

- ``users_dialog.UsersDialog``: accounts, roles, password resets, disabling;
- ``account_form.AccountForm``: a new account's form (also the first administrator's);
- ``audit_view.AuditView``: the audit trail, filtered, newest first, and its verification;
- ``settings_dialog.SettingsDialog``: the clinic-wide settings (the idle lock).

Every change goes through ``clinic_gui.store`` (which checks the acting user's roles as
stored in the database); a refusal is shown in the dialog, beside the field it names.
Text people typed is shown as plain text.
"""

from __future__ import annotations

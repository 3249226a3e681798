"""Data-entry dialogs for nurses and physicians, all built on ``form.RecordForm``."""

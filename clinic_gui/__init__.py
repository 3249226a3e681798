"""clinic_gui: infliximab infusion clinic record and decision support."""

__version__ = "0.1.0"

"""How serious a finding is: the findings schema's severity scale.

Apart from ``reviewbot.types`` (which re-exports it) so that ``reviewbot.config`` can name it
without loading every record type: the hook's cache-hit replay loads the configuration only.
"""

from __future__ import annotations

import enum


class Severity(str, enum.Enum):
    """Ordered scale, lowest first. ``sarif_level`` maps onto SARIF 2.1.0 ``result.level``."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)

    @property
    def sarif_level(self) -> str:
        return {"info": "note", "warning": "warning", "error": "error", "critical": "error"}[
            self.value
        ]


_SEVERITY_ORDER = (Severity.INFO, Severity.WARNING, Severity.ERROR, Severity.CRITICAL)

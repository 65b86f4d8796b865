"""Reports: self-contained HTML with interactive plots."""

from clusterms.report.html import assignment_report

__all__ = ["assignment_report"]

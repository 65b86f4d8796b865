"""Reports: self-contained HTML with interactive plots."""

from clusterms.report.html import assignment_report, assignment_report_bytes

__all__ = ["assignment_report", "assignment_report_bytes"]

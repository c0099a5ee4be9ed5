"""Publishers of verdicts for people: a Markdown summary and a self-contained HTML report."""

from harness.report.html import write_html
from harness.report.markdown import markdown_report

__all__ = ["markdown_report", "write_html"]

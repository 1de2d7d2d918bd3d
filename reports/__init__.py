"""Hand-written Markdown audit reports: encoding repair, parsing, import and export.

- `encoding.decode_report(content)`: bytes to text, repairing UTF-8 read through a wrong
  encoding (Mac Roman, Windows-1252).
- `parser.parse_report(text, domains=...)`: what a report states (general rules on headings,
  tables, lists and score patterns), plus warnings for what could not be mapped.
- `services.report_import(...)`: creates the imported Audit with its scores, checklists and
  findings in one transaction (or previews it on a dry run).
- `export.audit_to_markdown(audit)`: any audit back as a Markdown report that round-trips.
"""

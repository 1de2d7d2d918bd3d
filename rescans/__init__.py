"""Scheduled re-scans: check out a project's repository, run scanners, import what they report.

- `scanners/`: one small class per scanner (name, command, parser, domain).
- `runner`: runs one command as a subprocess (argument list, timeout, capped output).
- `workspace`: validates repository URLs and branches, clones into a temporary folder.
- `service`: the re-scan itself (`project_rescan_request`, `audit_rescan_run`).
- `dispatcher`: claims due projects in batches (schedules: `projects.schedule`); sweeps
  abandoned runs.
"""

"""Findings services, one module per job: `scans` (scanner report import), `scan_queue` (large
imports run by a worker), `stated` (findings stated in an imported Markdown report), `comments`,
`triage` (a person's status and assignee change: the admin's and the API's one path) and `tokens`
(per-project API tokens)."""

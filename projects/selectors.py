"""Reads for the manager pages (portfolio, project, audit report)."""

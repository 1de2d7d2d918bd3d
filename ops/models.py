"""Operations records: the heartbeat beat and workers leave to prove they are alive."""

from __future__ import annotations

from django.db import models


class Heartbeat(models.Model):
    """Last time a background process proved it was alive (beat sends one every minute)."""

    name = models.CharField(max_length=50, unique=True)
    beat_at = models.DateTimeField()

    class Meta:
        # Moved from the projects app: the table keeps its name and rows.
        db_table = "projects_heartbeat"

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"

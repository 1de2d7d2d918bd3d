from django.conf import settings
from django.db import models


class OidcIdentity(models.Model):
    """A provider account (issuer and subject) and the auditor user it logs in as.

    `claimed_project_ids` are the memberships the projects claim gave at the last login: only
    those are taken away when the claim drops them, never a membership granted by hand.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_identities"
    )
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    claimed_project_ids = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "OIDC identity"
        verbose_name_plural = "OIDC identities"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="sso_identity_unique_subject")
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"

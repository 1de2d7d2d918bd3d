from celery import shared_task


@shared_task(name="governance.expire_exceptions")  # type: ignore[untyped-decorator, unused-ignore]
def expire_exceptions() -> str:
    """Daily (beat): end the exceptions whose expiry date has come and reopen what they closed.
    Safe to run twice at once: each exception is claimed by a conditional UPDATE."""
    from governance import services

    expired = services.exceptions_expire()
    return f"expired {len(expired)} exception(s)"

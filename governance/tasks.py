from celery import shared_task


@shared_task(name="governance.expire_exceptions")  # type: ignore[untyped-decorator, unused-ignore]
def expire_exceptions() -> str:
    """Daily (beat): end the exceptions whose expiry date has come and reopen what they closed,
    then send the day's signals (exceptions expiring, SLA breaches: governance.signals). Safe to
    run twice at once: each exception is claimed by a conditional UPDATE, the day's signals by
    one row."""
    from governance import announcements, services

    expired = services.exceptions_expire()
    announced = announcements.daily_signals_send()
    signals = "already sent" if announced is None else f"{announced.expiring} expiring, "
    if announced is not None:
        signals += f"{announced.breached_findings} SLA breach(es) in {announced.breached_projects} project(s)"
    return f"expired {len(expired)} exception(s); signals: {signals}"

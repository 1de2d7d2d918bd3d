from celery import shared_task

from checklists import services

RETRY_DELAY_SECONDS = 15 * 60


@shared_task(name="checklists.send_reminders", bind=True, max_retries=3)
def send_reminders(self) -> str:
    """Daily digest (beat, 08:00). Safe to run twice: deliveries are claimed before sending.

    When some sends failed, the task retries later; only failed deliveries are claimed again.
    """
    run = services.reminders_send()
    if run.failed and not self.request.called_directly:
        raise self.retry(countdown=RETRY_DELAY_SECONDS)
    return run.summary()

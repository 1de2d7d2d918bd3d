from celery import shared_task


@shared_task(name="projects.recompute_global_scores")
def recompute_global_scores(domain_id: int) -> int:
    """A domain's weight changed (admin): every audit's global score and the latest verdicts."""
    from scoring import services

    return services.global_scores_refresh_all(reason_domain_id=domain_id)

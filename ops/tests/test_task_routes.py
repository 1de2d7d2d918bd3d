"""Every task is routed to a queue a deployed worker consumes: re-scans to "scans", the rest to
"default" (so a new task is short work unless routed otherwise)."""

from auditor.celery import app

LONG = {"projects.rescan"}


def test_rescans_go_to_the_scans_queue_and_every_other_task_to_default():
    app.loader.import_default_modules()  # what a worker's autodiscovery loads
    ours = sorted(name for name in app.tasks if not name.startswith("celery."))
    assert {"projects.rescan", "projects.rescan_dispatch", "checklists.send_reminders"} <= set(ours)
    routes = {name: app.amqp.router.route({}, name)["queue"].name for name in ours}
    assert {name for name, queue in routes.items() if queue == "scans"} == LONG
    assert {queue for name, queue in routes.items() if name not in LONG} == {"default"}

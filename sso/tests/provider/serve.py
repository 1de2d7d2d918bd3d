"""Starts the test provider: `python -m sso.tests.provider.serve PORT` with the PROVIDER_*
variables of settings.py and PROVIDER_CLIENT (JSON: client_id, client_secret, redirect_uri,
post_logout_redirect_uri). Prints "ready" once it listens."""

import json
import os
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

os.environ["DJANGO_SETTINGS_MODULE"] = "sso.tests.provider.settings"


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        pass


def prepare() -> None:
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0)
    with open(os.environ["PROVIDER_USERS_FILE"], encoding="utf-8") as handle:
        for username, entry in json.load(handle).items():
            User.objects.create_user(username, email=entry["email"], password=entry["password"])
    client = json.loads(os.environ["PROVIDER_CLIENT"])
    Application.objects.create(
        name="auditor",
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=client["redirect_uri"],
        post_logout_redirect_uris=client["post_logout_redirect_uri"],
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )


def main() -> None:
    import django
    from django.core.wsgi import get_wsgi_application

    django.setup()
    prepare()
    server = make_server("127.0.0.1", int(sys.argv[1]), get_wsgi_application(), _Server, _QuietHandler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

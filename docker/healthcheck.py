"""Container HEALTHCHECK: GET /healthz on the local gunicorn; exit 0 only on 200.

Sends the first ALLOWED_HOSTS entry as Host (Django refuses unknown hosts) and
X-Forwarded-Proto: https when a TLS proxy header is configured, as the proxy would.
"""

import http.client
import os
import sys

host = (os.environ.get("ALLOWED_HOSTS", "") or "localhost").split(",")[0].strip().lstrip(".") or "localhost"
if host == "*":
    host = "localhost"
port = int(os.environ.get("GUNICORN_BIND", "0.0.0.0:8000").rsplit(":", 1)[1])
headers = {"Host": host}
proxy_header = os.environ.get("SECURE_PROXY_SSL_HEADER", "")
if proxy_header:
    name, _, value = proxy_header.partition(":")
    headers[name.strip()] = value.strip()
try:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/healthz", headers=headers)
    status = connection.getresponse().status
except OSError as error:
    print(f"healthz: {error}", file=sys.stderr)
    sys.exit(1)
print(f"healthz: {status}")
sys.exit(0 if status == 200 else 1)

"""gunicorn configuration for auditor (`gunicorn -c gunicorn.conf.py auditor.wsgi`).

Everything comes from the environment, with production defaults:
  GUNICORN_BIND       address to listen on                 (0.0.0.0:8000)
  WEB_CONCURRENCY     worker processes                     (2 × CPUs + 1, at most 8)
  GUNICORN_THREADS    threads per worker                   (1)
  GUNICORN_TIMEOUT    seconds before a silent worker is killed and replaced (30)
  GUNICORN_GRACEFUL_TIMEOUT  seconds a stopping worker may finish its requests (30)
  GUNICORN_KEEPALIVE  seconds to keep an idle client connection (5)
  GUNICORN_MAX_REQUESTS  recycle a worker after this many requests, 0 = never (1000)
  LOG_LEVEL           gunicorn's error log level            (info)

The access log goes to stdout, one line per request, with the request id auditor sets
(X-Request-ID), so an access line and the application's log lines of one request match.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")  # noqa: S104 (inside a container)
workers = _int("WEB_CONCURRENCY", min(multiprocessing.cpu_count() * 2 + 1, 8))
threads = _int("GUNICORN_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = max(0, max_requests // 10)
# Workers signal liveness by touching a file: keep it on tmpfs (a container's overlay disk can
# stall long enough for the arbiter to think a healthy worker hung).
_SHM = "/dev/shm"  # noqa: S108 (gunicorn's own heartbeat files, not application data)
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR") or (_SHM if os.path.isdir(_SHM) else None)

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s "%(a)s"'
# Behind a TLS-terminating proxy: which proxy addresses may set X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Stop reading absurd request lines and headers early.
limit_request_line = 8190
limit_request_fields = 100


def child_exit(server, worker):
    """With Prometheus metrics on in multi-process mode, forget the dead worker's gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

"""A real Celery worker on the real Redis broker and PostgreSQL, for tests marked ``integration``.

The worker is started once per test session (one per e-mail backend) with the test database pytest-django
created, its own queue (so that no other worker on the same Redis takes its tasks) and a file e-mail backend
whose directory the test reads. Tests need ``django_db(transaction=True, serialized_rollback=True)``: the
worker only sees committed rows, and the rows seeded by migrations (the ladder, the roles, the schedule) are
restored after each test's flush.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from kombu import Exchange, Queue
from kombu.utils.url import maybe_sanitize_url

from config.celery import app as celery_app

from .mail_backends import MAIL_DIR_VARIABLE, read_mails

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
BACKENDS = {  # worker name: its e-mail backend
    "files": "tests.integration.mail_backends.FileEmailBackend",
    "flaky": "tests.integration.mail_backends.FlakyFileEmailBackend",
}


def _require_services() -> None:
    """Redis and PostgreSQL, or a clear skip (a failure in CI, where a missing service is a broken build)."""
    problems = []
    broker = settings.CELERY_BROKER_URL
    if not broker.startswith(("redis://", "rediss://")):
        problems.append(f"CELERY_BROKER_URL is {maybe_sanitize_url(broker)!r}, not a redis:// URL")
    else:
        try:
            with celery_app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=3)
        except Exception as error:
            problems.append(f"Redis at {maybe_sanitize_url(broker)} is not reachable ({error})")
    if connection.vendor != "postgresql":
        problems.append(
            f"the database is {connection.vendor}, not PostgreSQL (set DATABASE_URL=postgres://…)"
        )
    if not problems:
        return
    message = "Integration tests need Redis and PostgreSQL: " + "; ".join(problems) + "."
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _database_url(*, test: bool) -> str:
    """The URL of the database for the worker. Before pytest-django has created the test database, ``test``
    names the one it will create: Django names it ``TEST["NAME"]``, by default ``test_`` and the name."""
    db = connection.settings_dict
    name = (db["TEST"].get("NAME") or f"test_{db['NAME']}") if test else db["NAME"]
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "localhost"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}@{host}{port}/{quote(name, safe='')}"


def wait_for(condition: Callable[[], object], *, what: str, worker: Worker | None = None, timeout=60.0):
    """Poll ``condition`` until it returns something truthy; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if worker is not None and worker.process.poll() is not None:
            pytest.fail(f"The Celery worker exited ({worker.process.returncode}) while waiting for {what}.")
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout:.0f} s waiting for {what}.", pytrace=False)
        time.sleep(0.2)


@dataclass
class Worker:
    name: str
    queue: str
    nodename: str
    mail_dir: Path
    log_path: Path
    process: subprocess.Popen
    log_offset: int = field(default=0)

    def mails(self) -> list[dict]:
        return read_mails(self.mail_dir)

    def mails_to(self, recipient: str) -> list[dict]:
        return [m for m in self.mails() if recipient in m["to"]]

    def log(self, *, since_test: bool = False) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return text[self.log_offset :] if since_test else text

    def queued(self) -> int:
        with celery_app.connection_for_read() as conn:
            return self._queue(conn.default_channel).queue_declare().message_count

    def is_idle(self) -> bool:
        """Nothing in the queue, and nothing running, reserved or scheduled (retries) in the worker."""
        if self.queued():
            return False
        inspect = celery_app.control.inspect(destination=[self.nodename], timeout=2, limit=1)
        for replies in (inspect.active(), inspect.reserved(), inspect.scheduled()):
            if not replies or replies.get(self.nodename):
                return False
        return not self.queued()

    def wait_idle(self, *, timeout=60.0) -> None:
        """Wait until the worker has nothing left to do, seen twice in a row: a duplicate shows by then."""
        wait_for(
            lambda: self.is_idle() and self.is_idle(),
            what=f"worker {self.name} to be idle",
            worker=self,
            timeout=timeout,
        )

    def clear_mail(self) -> None:
        shutil.rmtree(self.mail_dir, ignore_errors=True)
        (self.mail_dir / "sent").mkdir(parents=True)

    def _queue(self, channel):
        return Queue(self.queue, Exchange(self.queue), routing_key=self.queue)(channel)

    def terminate(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # warm shutdown: running tasks finish first

    def stop(self) -> None:
        self.terminate()
        if self.process.poll() is None:
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # the worker and its pool processes
                self.process.wait(timeout=STOP_TIMEOUT)
        with celery_app.connection_for_write() as conn:
            queue = self._queue(conn.default_channel)
            queue.declare()
            queue.purge()
            queue.delete()


class WorkerPool:
    """The session's workers, one per e-mail backend; stopped (and their queues removed) at the end."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.workers: dict[str, Worker] = {}
        self.database_url = ""
        self.session = uuid.uuid4().hex[:12]

    def spawn(self, backends: dict[str, str], *, database_url: str) -> None:
        """Start one worker per e-mail backend, all at once."""
        self.database_url = database_url
        for name, backend in backends.items():
            self.workers[name] = self._spawn(name, email_backend=backend)

    def wait_ready(self) -> None:
        """Wait until each worker answers a ping: then it consumes its queue."""
        deadline = time.monotonic() + STARTUP_TIMEOUT
        for worker in self.workers.values():
            while not celery_app.control.ping(destination=[worker.nodename], timeout=0.5, limit=1):
                if worker.process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"The Celery worker {worker.nodename} did not start "
                        f"(exit code {worker.process.returncode}). Its log:\n{worker.log()}",
                        pytrace=False,
                    )

    def _spawn(self, name: str, *, email_backend: str) -> Worker:
        queue = f"integration-{self.session}-{name}"
        nodename = f"{queue}@localhost"
        mail_dir = self.directory / f"mail-{name}"
        log_path = self.directory / f"worker-{name}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_QUEUE": queue,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "EMAIL_BACKEND": email_backend,
            MAIL_DIR_VARIABLE: str(mail_dir),
            "REMINDER_RETRY_BASE_SECONDS": "1",
            "PYTHONUNBUFFERED": "1",
        }
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "INFO", "-c", "2",
            "--without-gossip", "--without-mingle", "--without-heartbeat", "-Q", queue, "-n", nodename,
        ]  # fmt: skip
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        worker = Worker(name, queue, nodename, mail_dir, log_path, process)
        worker.clear_mail()
        return worker

    def stop_all(self) -> None:
        for worker in self.workers.values():
            worker.terminate()
        for worker in self.workers.values():
            worker.stop()
            if worker.process.returncode not in (0, -signal.SIGTERM):
                print(f"\nThe Celery worker {worker.nodename} ended with {worker.process.returncode}:")
                print(worker.log())


@pytest.fixture(scope="session")
def worker_pool(request, django_db_modify_db_settings, tmp_path_factory) -> Iterator[WorkerPool]:
    """The workers start while pytest-django creates the test database: they connect to it only to run a
    task."""
    _require_services()
    pool = WorkerPool(tmp_path_factory.mktemp("celery-worker"))
    try:
        pool.spawn(BACKENDS, database_url=_database_url(test=True))
        request.getfixturevalue("django_db_setup")
        if pool.database_url != _database_url(test=False):  # set up earlier in the session, by other tests
            pool.stop_all()
            pool.spawn(BACKENDS, database_url=_database_url(test=False))
        pool.wait_ready()
        yield pool
    finally:
        pool.stop_all()


def _use(worker: Worker) -> Iterator[Worker]:
    """Route tasks sent by this test to the worker's queue, with an empty mailbox."""
    assert not celery_app.conf.task_always_eager, (
        "tests marked integration must send tasks through the broker"
    )
    worker.wait_idle()
    worker.clear_mail()
    worker.log_offset = len(worker.log())
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = worker.queue
    try:
        yield worker
    finally:
        celery_app.conf.task_default_queue = previous


@pytest.fixture
def worker(worker_pool) -> Iterator[Worker]:
    """A worker whose mails all go through."""
    yield from _use(worker_pool.workers["files"])


@pytest.fixture
def flaky_worker(worker_pool) -> Iterator[Worker]:
    """A worker whose mail server refuses the first attempt for each recipient."""
    yield from _use(worker_pool.workers["flaky"])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Show the worker's log of a failed test next to the failure."""
    report = yield
    if report.failed:
        for value in getattr(item, "funcargs", {}).values():
            if isinstance(value, Worker):
                report.sections.append((f"Celery worker {value.name} log", value.log(since_test=True)))
    return report

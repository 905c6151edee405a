import os

import pytest

from config.celery import app as celery_app
from suppliers import roles
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Users are created by the hundred in tests; a slow hash only slows the suite."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """The API throttles count in the cache (one per process in tests): each test starts with none counted.
    (Login lockouts are counted in the database, which each test's transaction empties.)"""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Tests render pages without running collectstatic first."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _eager_celery(request):
    """Unit tests run tasks in-process; tests marked ``integration`` talk to the real broker and worker."""
    if request.node.get_closest_marker("integration"):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def procurement_user(db):
    return UserFactory(username="buyer", role=roles.PROCUREMENT)


@pytest.fixture
def esg_manager(db):
    return UserFactory(username="esg", role=roles.ESG_MANAGER)


@pytest.fixture
def auditor_user(db):
    return UserFactory(username="auditor", role=roles.AUDITOR)


@pytest.fixture
def supplier_contact_user(db):
    return UserFactory(username="contact", role=roles.SUPPLIER_CONTACT)


def pytest_configure(config):
    # Browser tests drive a live server from the test thread under Playwright's event loop.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    _without_browser_if_no_chromium(config, items)
    _restore_seeded_data(items)
    # Last, after every plugin's reordering (pytest's own groups tests by parametrized fixtures): a
    # transactional test leaves the tables empty when it ends, so none may run before a plain one.
    items.sort(key=_is_transactional)


def _without_browser_if_no_chromium(config, items) -> None:
    """Without Chromium, a developer's ``make test`` runs everything else and says in one line how to get the
    browser tests; in CI (``CI=true``) a missing browser is a failure, never a skip."""
    from tests.browser.conftest import CHROMIUM

    browser = [item for item in items if item.get_closest_marker("browser")]
    if not browser or os.access(CHROMIUM, os.X_OK):
        return
    message = (
        f"{len(browser)} browser tests not run: Chromium is not installed at {CHROMIUM} "
        "(apt-get install chromium)."
    )
    if os.environ.get("CI", "").lower() == "true":
        raise pytest.UsageError(f"CI: {message}")
    items[:] = [item for item in items if not item.get_closest_marker("browser")]
    config.hook.pytest_deselected(items=browser)
    config.stash[_BROWSER_NOTE] = message


_BROWSER_NOTE = pytest.StashKey[str]()


def pytest_terminal_summary(terminalreporter, config):
    note = config.stash.get(_BROWSER_NOTE, None)
    if note:
        terminalreporter.write_line(f"SKIPPED {note}", yellow=True)


def _restore_seeded_data(items) -> None:
    """Transactional tests (live server, real worker) empty the tables when they end, which would also delete
    what the migrations seed (roles, provisions, the escalation ladder) for the tests after them: have every
    such test restore the database as it found it."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        if _is_transactional(item) and "django_db_serialized_rollback" not in names:
            names.append("django_db_serialized_rollback")


def _is_transactional(item) -> bool:
    names = getattr(item, "fixturenames", ())
    marker = item.get_closest_marker("django_db")
    return bool(
        (marker is not None and marker.kwargs.get("transaction"))
        or "transactional_db" in names
        or "live_server" in names
    )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """Keep the snapshot of the freshly migrated test database that serialized rollback restores, on the
    connection class: Playwright's event loop gives tests fresh connection wrappers (Django's connections
    are context-local), which would not carry it, and a transactional test after a flush would then start
    without the data the migrations seed."""
    from django.db import connections

    for alias in connections:
        contents = getattr(connections[alias], "_test_serialized_contents", None)
        if contents is not None:
            type(connections[alias])._test_serialized_contents = contents

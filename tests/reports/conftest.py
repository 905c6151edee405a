# The browser tests here launch Debian's Chromium the way tests/browser does.
from tests.browser.conftest import browser_context_args, browser_type_launch_args  # noqa: F401

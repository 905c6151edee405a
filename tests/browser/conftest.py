import os

import pytest

# The live server runs in a thread next to Playwright's event loop; Django's async-safety check would
# refuse the ORM calls the test makes to set up its data.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


# Debian's Chromium (apt-get install chromium); Playwright cannot download its own browsers here.
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A desktop screen, as procurement and ESG staff use the admin."""
    return {**browser_context_args, "viewport": {"width": 1600, "height": 1000}}

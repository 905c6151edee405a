# Supplier ESG: local run, tests and lint. GNU make.
#   make run    install, migrate, add demo data once, print the admin and portal logins, start web + worker + beat
#   make test   install, run the whole test suite (PostgreSQL when DATABASE_URL is set)
#   make lint   ruff check and ruff format --check

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
STAMP := $(VENV)/.installed
# Where the local database, broker files, uploads and the admin login live (config/settings.py: DATA_DIR).
LOCAL_DATA = $${DATA_DIR:-var}
# A random secret key for this checkout's local runs and tests (mode 600), which config/settings.py reads
# when DJANGO_SECRET_KEY is unset. No key is built in; production sets DJANGO_SECRET_KEY.
LOCAL_SECRET_KEY = f="$(LOCAL_DATA)/secret-key"; test -s "$$f" || { mkdir -p "$${f%/*}" && \
  (umask 077 && $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(64))' >"$$f"); }

.PHONY: run test lint messages bench-seed clean-venv

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "Python 3.11 or newer is needed; '$(PYTHON)' is $$($(PYTHON) --version 2>&1 || echo missing)." >&2; \
	  echo "Install it, or name it: make PYTHON=/path/to/python3.11 $(MAKECMDGOALS)" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@$(LOCAL_SECRET_KEY)
	touch $@

run: $(STAMP)
	@$(LOCAL_SECRET_KEY)
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput --verbosity 0
	$(MANAGE) seed_demo --if-empty --suppliers 2000
	$(MANAGE) seed_demo_audits --if-empty --audits 60 --demo-schedule
	@echo
	@$(MANAGE) ensure_admin --login-file "$(LOCAL_DATA)/admin-login.txt"
	@$(MANAGE) ensure_portal_demo --login-file "$(LOCAL_DATA)/portal-logins.txt"
	@echo "(also in $(LOCAL_DATA)/admin-login.txt and $(LOCAL_DATA)/portal-logins.txt, readable by you only)"
	@echo "Starting web (http://127.0.0.1:8000/), Celery worker and beat; Ctrl-C stops all three."
	@echo
	PATH="$(CURDIR)/$(BIN):$$PATH" exec $(BIN)/honcho start -f Procfile

test: $(STAMP)
	@$(LOCAL_SECRET_KEY)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Refresh the Simplified Chinese catalogue from the code and templates, then compile it (needs GNU gettext:
# apt-get install gettext). Translate the new entries in locale/zh_Hans/LC_MESSAGES/django.po, run it again, and
# commit both files: the compiled catalogue is committed so that running the project needs no gettext.
messages: $(STAMP)
	@$(LOCAL_SECRET_KEY)
	$(MANAGE) makemessages --locale zh_Hans --no-obsolete --add-location file --ignore 'tests/*' --ignore 'var/*' --ignore 'devtools/*'
	$(MANAGE) compilemessages --locale zh_Hans --ignore '.venv'

# Time the demo data for 100,000 suppliers in a throw-away SQLite database (or DATABASE_URL's).
bench-seed: $(STAMP)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && export DATA_DIR="$$tmp" && { $(LOCAL_SECRET_KEY); } && \
	  $(MANAGE) migrate --noinput --verbosity 0 && $(MANAGE) seed_demo --suppliers 100000

clean-venv:
	rm -rf $(VENV)

"""Time the ESG dashboard as a superuser sees it: server time per request and the number of queries."""

import statistics
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse


class Command(BaseCommand):
    help = (
        "Render /admin/dashboard/ N times (RequestFactory, a superuser) and print min/median ms and the "
        "number of queries."
    )

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=10, help="How many renders to time (default 10).")
        parser.add_argument("--year", help="The dashboard's year filter (default: the current year).")
        parser.add_argument("--business-unit", help="The business unit filter (its id).")

    def handle(self, *args, runs: int, year: str | None, business_unit: str | None, **options):
        if runs < 1:
            raise CommandError(f"--runs must be at least 1, not {runs}.")
        params = {key: value for key, value in (("year", year), ("business_unit", business_unit)) if value}
        url = reverse("reports:dashboard")
        view = resolve(url).func
        user = get_user_model().objects.filter(is_superuser=True, is_active=True).first()
        if user is None:  # a superuser that exists only for this run: nothing is written
            user = get_user_model()(username="bench", is_superuser=True, is_staff=True, is_active=True)
        factory = RequestFactory()
        timings, queries = [], []
        for _ in range(runs):
            request = factory.get(url, params)
            request.user = user
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = view(request)
                try:
                    response.render()
                except ValueError as error:  # the manifest storage needs collected static files
                    raise CommandError(
                        f"{error}. Run collectstatic first, or set STATIC_MANIFEST=false."
                    ) from error
                timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise CommandError(f"The dashboard answered {response.status_code}.")
            queries.append(len(captured))
        self.stdout.write(
            f"Dashboard {url}{'?' + '&'.join(f'{k}={v}' for k, v in params.items()) if params else ''}: "
            f"{runs} runs, min {min(timings):.1f} ms, median {statistics.median(timings):.1f} ms, "
            f"{max(queries)} queries."
        )

"""Print or save the annual ESG report (see ``reports.selectors``)."""

from django.core.management.base import BaseCommand, CommandError

from reports import rendering, selectors


class Command(BaseCommand):
    help = "The annual ESG report of a year as JSON (default), XLSX or CSV, to a file or standard output."

    def add_arguments(self, parser):
        parser.add_argument("--year", required=True, help="The year, from 2000 to the current year.")
        parser.add_argument("--format", choices=rendering.REPORT_FORMATS, default="json", dest="fmt")
        parser.add_argument("--output", help="File to write; standard output when left out (not for xlsx).")

    def handle(self, *args, year: str, fmt: str, output: str | None, **options):
        try:
            checked = selectors.report_year(value=year)
        except selectors.InvalidYear as invalid:
            raise CommandError(f"--year: {invalid.message}") from invalid
        if fmt == "xlsx" and not output:
            raise CommandError("--output: an XLSX report is written to a file; name it with --output.")
        content = rendering.report_file(report=selectors.esg_report(year=checked), fmt=fmt)
        if output:
            try:
                with open(output, "wb") as target:
                    target.write(content)
            except OSError as error:
                raise CommandError(f"--output: cannot write {output}: {error.strerror}.") from error
            self.stderr.write(f"ESG report {checked} written to {output} ({fmt}).")
            return
        self.stdout.write(content.decode(), ending="")

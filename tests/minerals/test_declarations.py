"""Declarations: upload, parse, store, supersede, reconcile with the registry, due-diligence actions, the
import command and bulk import batches.

Workbooks are built with openpyxl in the CMRT 6.5 / EMRT 1.3 layout (``bench_cmrt_import.fill``). They are
parsed by ``minerals.cmrt`` when it is installed; otherwise by ``stub_parse_workbook`` below, which reads the
same cells (Declaration D2/J3/D8/D22, Smelter List rows 5+ columns A–G and P) and follows the parser's
published interface.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import io
import re
import sys
import types
import zipfile
from dataclasses import dataclass, field

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.files import UploadRejected
from devtools.management.commands.bench_cmrt_import import SmelterEntry, fill, new_workbook
from minerals import services
from minerals.models import (
    Declaration,
    DeclaredSmelter,
    DueDiligenceAction,
    ImportBatch,
    ImportBatchFile,
    MineralsPolicy,
    RmapStatus,
    Smelter,
    SmelterAlias,
)
from minerals.tasks import import_batch_file
from reminders import registry
from suppliers.models import Supplier
from tests.factories import SupplierFactory

pytestmark = pytest.mark.django_db

YEAR = 2025
Match = DeclaredSmelter.MatchMethod


# --- A parser for when minerals.cmrt is not installed ------------------------------------------------------


class UnreadableWorkbook(Exception):
    pass


@dataclass
class Company:
    name: str = ""
    scope: str = ""
    scope_description: str = ""
    unique_id: str = ""
    contact_name: str = ""
    contact_email: str = ""
    authorizer: str = ""
    effective_date: dt.date | None = None


@dataclass
class SmelterRow:
    row: int
    metal: str
    name: str
    country: str
    smelter_id: str
    source: str
    recycled: bool | None
    lookup_name: str


@dataclass
class Issue:
    sheet: str
    cell: str
    severity: str
    message: str


@dataclass
class ParseResult:
    template: str
    version: str
    company: Company
    minerals_in_scope: list[str] = field(default_factory=list)
    answers: dict = field(default_factory=dict)
    comments: dict = field(default_factory=dict)
    company_answers: dict = field(default_factory=dict)
    smelters: list[SmelterRow] = field(default_factory=list)
    products: list = field(default_factory=list)
    mines: list = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(issue.severity == "error" for issue in self.issues)

    def to_json(self) -> dict:
        return {"template": self.template, "version": self.version, "smelters": len(self.smelters)}


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def stub_parse_workbook(source, *, filename=None, known_smelter_ids=None, max_bytes=None) -> ParseResult:
    try:
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:
        raise UnreadableWorkbook("not an Excel workbook") from exc
    if "Declaration" not in workbook.sheetnames or "Smelter List" not in workbook.sheetnames:
        raise UnreadableWorkbook("no Declaration and Smelter List sheets: not a CMRT or EMRT")
    declaration = workbook["Declaration"]
    template = "EMRT" if "EMRT" in _text(declaration["D2"].value) else "CMRT"
    version = re.search(r"Revision\s+([\d.]+)", _text(declaration["J3"].value))
    date = declaration["D22"].value
    company = Company(
        name=_text(declaration["D8"].value),
        unique_id=_text(declaration["D12"].value),
        effective_date=date.date() if isinstance(date, dt.datetime) else date,
    )
    result = ParseResult(template=template, version=version.group(1) if version else "", company=company)
    if not company.name:
        result.issues.append(Issue("Declaration", "D8", "error", "The company name is required."))
    for number, cells in enumerate(
        workbook["Smelter List"].iter_rows(min_row=5, max_col=16, values_only=True), start=5
    ):
        a, b, c, d, e, f, g = (_text(value) for value in cells[:7])
        if not (b or d or a):
            continue
        recycled = _text(cells[15]).lower()
        result.smelters.append(
            SmelterRow(
                row=number,
                metal=b.lower(),
                name=d,
                country=e,
                smelter_id=f or a,
                source=g,
                recycled={"yes": True, "no": False}.get(recycled),
                lookup_name=c,
            )
        )
    workbook.close()
    return result


def _stub_module() -> types.ModuleType:
    module = types.ModuleType("minerals.cmrt")
    module.parse_workbook = stub_parse_workbook
    module.ParseResult, module.SmelterRow, module.Issue = ParseResult, SmelterRow, Issue
    module.UnreadableWorkbook = UnreadableWorkbook
    return module


@pytest.fixture(autouse=True)
def cmrt_parser(monkeypatch):
    """The real parser when it is installed, else the stub (only for this test run)."""
    real = None
    if importlib.util.find_spec("minerals.cmrt") is not None:
        real = importlib.import_module("minerals.cmrt")
    if real is not None and hasattr(real, "parse_workbook") and hasattr(real, "UnreadableWorkbook"):
        return real
    import minerals

    stub = _stub_module()
    monkeypatch.setitem(sys.modules, "minerals.cmrt", stub)
    monkeypatch.setattr(minerals, "cmrt", stub, raising=False)
    return stub


# --- Workbooks and registry ------------------------------------------------------------------------------


def workbook_bytes(smelters: list[SmelterEntry], *, company="Acme Components Ltd.", family="CMRT") -> bytes:
    workbook = new_workbook(family=family)
    return fill(workbook, company=company, smelters=smelters)


def upload(content: bytes, name: str = "cmrt.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def make_smelter(smelter_id: str, name: str, metal: str, country: str = "CN", status=RmapStatus.CONFORMANT):
    return Smelter.objects.create(
        smelter_id=smelter_id,
        name=name,
        name_key=" ".join(name.casefold().split()),
        metal=metal,
        country=country,
        country_name=country,
        rmap_status=status,
    )


@pytest.fixture
def registry_smelters(db):
    gold = make_smelter("CID000001", "Golden Refinery Co.", "gold", "JP")
    tin = make_smelter("CID000002", "Tin Works PT", "tin", "ID", RmapStatus.NOT_ENROLLED)
    tantalum = make_smelter("CID000003", "Tantalum Materials Inc.", "tantalum", "US")
    SmelterAlias.objects.create(smelter=tin, metal="tin", name="PT Tin Works", name_key="pt tin works")
    return {"gold": gold, "tin": tin, "tantalum": tantalum}


def import_file(supplier, smelters, *, by=None, year=YEAR, family="CMRT", company="Acme Components Ltd."):
    content = workbook_bytes(smelters, company=company, family=family)
    return services.declaration_import(supplier=supplier, year=year, upload=upload(content), by=by)


MIXED = [
    SmelterEntry("Gold", "Golden Refinery Co.", "JAPAN", "CID000001"),  # by smelter ID
    SmelterEntry("Tin", "PT Tin Works", "INDONESIA"),  # by look-up name
    SmelterEntry("Tantalum", "TANTALUM  materials inc.", "UNITED STATES OF AMERICA"),  # by standard name
    SmelterEntry("Gold", "Unheard-of Gold Smelter", "PERU"),  # unknown
]


# --- Import, store, reconcile -------------------------------------------------------------------------------


def test_accepted_declaration_stores_file_and_matches_smelters_by_id_alias_and_name(registry_smelters):
    supplier = SupplierFactory()
    declaration = import_file(supplier, MIXED)

    assert declaration.status == Declaration.Status.ACCEPTED
    assert declaration.family == "CMRT" and declaration.version == "6.5"
    assert declaration.company_name == "Acme Components Ltd."
    assert len(declaration.sha256) == 64 and declaration.file.storage.exists(declaration.file.name)
    rows = {row.name: row for row in declaration.smelters.all()}
    assert rows["Golden Refinery Co."].smelter == registry_smelters["gold"]
    assert rows["Golden Refinery Co."].match_method == Match.CID
    assert rows["PT Tin Works"].smelter == registry_smelters["tin"]
    assert rows["PT Tin Works"].match_method == Match.ALIAS
    assert rows["TANTALUM  materials inc."].smelter == registry_smelters["tantalum"]
    assert rows["TANTALUM  materials inc."].match_method == Match.NAME
    assert rows["Unheard-of Gold Smelter"].smelter is None
    assert rows["Unheard-of Gold Smelter"].match_method == Match.UNMATCHED


def test_name_match_needs_the_same_metal_and_country(registry_smelters):
    supplier = SupplierFactory()
    declaration = import_file(
        supplier,
        [
            SmelterEntry("Tin", "Golden Refinery Co.", "JAPAN"),  # right name, wrong metal
            SmelterEntry("Gold", "Golden Refinery Co.", "CHINA"),  # right name, wrong country
        ],
    )
    assert list(declaration.smelters.values_list("match_method", flat=True)) == [Match.UNMATCHED] * 2


def test_reconciliation_query_count_does_not_grow_with_rows(registry_smelters):
    few = MIXED
    many = MIXED * 15

    def queries(entries) -> int:
        supplier = SupplierFactory()
        with CaptureQueriesContext(connection) as captured:
            import_file(supplier, entries)
        return len(captured)

    MineralsPolicy.current()
    assert queries(many) == queries(few)


def test_cmrt_and_emrt_are_separate_and_a_new_accepted_file_supersedes_the_previous(registry_smelters):
    supplier = SupplierFactory()
    first = import_file(supplier, MIXED)
    emrt = import_file(supplier, [SmelterEntry("Cobalt", "Cobalt Refinery", "CHINA")], family="EMRT")
    second = import_file(supplier, MIXED[:1])

    first.refresh_from_db()
    emrt.refresh_from_db()
    assert emrt.family == "EMRT" and emrt.status == Declaration.Status.ACCEPTED
    assert first.status == Declaration.Status.SUPERSEDED and first.superseded_by == second
    assert second.status == Declaration.Status.ACCEPTED
    assert Declaration.objects.filter(supplier=supplier).count() == 3


def test_file_with_errors_is_kept_rejected_and_does_not_displace_the_accepted_one(registry_smelters):
    supplier = SupplierFactory()
    accepted = import_file(supplier, MIXED)
    rejected = import_file(supplier, MIXED[:1], company="")

    accepted.refresh_from_db()
    assert rejected.status == Declaration.Status.REJECTED
    assert rejected.error_count >= 1
    assert any(issue["severity"] == "error" and issue["cell"] == "D8" for issue in rejected.issues)
    assert rejected.file.storage.exists(rejected.file.name)
    assert accepted.status == Declaration.Status.ACCEPTED and accepted.superseded_by is None


def test_unreadable_upload_saves_nothing(registry_smelters, settings):
    supplier = SupplierFactory()
    with pytest.raises(UploadRejected, match=r"notes\.xlsx"):
        services.declaration_import(
            supplier=supplier, year=YEAR, upload=upload(b"just some text", "notes.xlsx"), by=None
        )
    other = openpyxl.Workbook()
    other.active["A1"] = "a shopping list"
    buffer = io.BytesIO()
    other.save(buffer)
    with pytest.raises(services.DeclarationUnreadable, match=r"list\.xlsx"):
        services.declaration_import(
            supplier=supplier, year=YEAR, upload=upload(buffer.getvalue(), "list.xlsx"), by=None
        )
    assert not Declaration.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(path.is_file() for path in media.rglob("*"))


# --- Due diligence -----------------------------------------------------------------------------------------


def test_non_conformant_and_unknown_smelters_get_due_diligence_actions_with_the_policy_deadline(
    registry_smelters,
):
    policy = MineralsPolicy.current()
    policy.dd_deadline_days = 60
    policy.save()
    supplier = SupplierFactory()
    import_file(supplier, MIXED)

    actions = DueDiligenceAction.objects.filter(supplier=supplier).order_by("reason")
    assert [(a.reason, a.status) for a in actions] == [
        (DueDiligenceAction.Reason.NON_CONFORMANT, "open"),
        (DueDiligenceAction.Reason.UNKNOWN, "open"),
    ]
    non_conformant, unknown = actions
    assert non_conformant.smelter == registry_smelters["tin"]
    assert "Unheard-of Gold Smelter" in unknown.smelter_label
    assert all(a.deadline == dt.date.today() + dt.timedelta(days=60) for a in actions)


def test_a_later_declaration_without_those_smelters_closes_the_actions(registry_smelters):
    supplier = SupplierFactory()
    import_file(supplier, MIXED)
    import_file(supplier, MIXED)  # same smelters: the actions stay open, no duplicates
    assert DueDiligenceAction.objects.open().filter(supplier=supplier).count() == 2

    later = import_file(supplier, [MIXED[0], MIXED[2]])
    actions = DueDiligenceAction.objects.filter(supplier=supplier)
    assert actions.count() == 2
    assert all(a.status == "closed" and a.closed_by_declaration == later for a in actions)


def test_a_rejected_file_neither_opens_nor_closes_actions(registry_smelters):
    supplier = SupplierFactory()
    import_file(supplier, MIXED)
    import_file(supplier, [MIXED[0]], company="")
    assert DueDiligenceAction.objects.open().filter(supplier=supplier).count() == 2


def test_esg_manager_closes_an_action_with_evidence(registry_smelters, esg_manager):
    supplier = SupplierFactory()
    import_file(supplier, MIXED)
    action = DueDiligenceAction.objects.filter(supplier=supplier).first()
    with pytest.raises(services.Invalid, match="note or attach"):
        services.dd_action_close(action=action, by=esg_manager, note="")

    evidence = SimpleUploadedFile("rmap-letter.pdf", b"%PDF-1.4 smelter enrolment letter")
    services.dd_action_close(
        action=action, by=esg_manager, note="Smelter enrolled in RMAP", evidence=evidence
    )
    action.refresh_from_db()
    assert action.status == "closed" and action.closed_by == esg_manager
    assert action.evidence.name.endswith(".pdf") and "enrolled" in action.note


def test_reminder_kinds_list_open_actions_and_missing_declarations(registry_smelters):
    declared = SupplierFactory(status=Supplier.Status.ADMITTED)
    silent = SupplierFactory(status=Supplier.Status.ADMITTED)
    SupplierFactory(status=Supplier.Status.ADMITTED, category=Supplier.Category.NON_PRODUCTION)
    today = dt.date(2026, 4, 1)
    import_file(declared, MIXED, year=2025)
    assert not registry.get("declaration_missing").open_items(today).exists()  # off by default
    MineralsPolicy.objects.filter(pk=1).update(remind_missing_declarations=True)

    due = registry.get("dd_action_due").open_items(today).values_list("r_supplier", "r_due")
    assert sorted(due) == [(declared.pk, a.deadline) for a in DueDiligenceAction.objects.order_by("pk")]
    missing = registry.get("declaration_missing").open_items(today).values_list("r_item", "r_due")
    assert list(missing) == [(silent.pk, dt.date(2026, 5, 31))]
    assert "no accepted CMRT" in registry.get("declaration_missing").describe([silent.pk])[silent.pk].title


# --- Command ------------------------------------------------------------------------------------------------


def test_import_cmrt_command_exit_status(registry_smelters, tmp_path):
    supplier = SupplierFactory(code="ACME")
    good = tmp_path / "good.xlsx"
    good.write_bytes(workbook_bytes(MIXED))
    out = io.StringIO()
    call_command("import_cmrt", str(good), "--supplier", "ACME", "--year", "2025", stdout=out)
    assert "Accepted" in out.getvalue()

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook_bytes(MIXED, company=""))
    with pytest.raises(CommandError) as rejected:
        call_command("import_cmrt", str(bad), "--supplier", "ACME", "--year", "2025", stdout=io.StringIO())
    assert rejected.value.returncode == 1

    unreadable = tmp_path / "notes.xlsx"
    unreadable.write_bytes(b"not a workbook")
    with pytest.raises(CommandError) as refused:
        call_command("import_cmrt", str(unreadable), "--supplier", "ACME", "--year", "2025")
    assert refused.value.returncode == 2
    assert Declaration.objects.filter(supplier=supplier).count() == 2


# --- Bulk import ------------------------------------------------------------------------------------------


def test_batch_imports_every_file_of_a_zip_and_counts_progress(
    registry_smelters, esg_manager, django_capture_on_commit_callbacks
):
    first, second = SupplierFactory(code="S1"), SupplierFactory(code="S2")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("S1_CMRT_2025.xlsx", workbook_bytes(MIXED))
        zipped.writestr("S2 cmrt.xlsx", workbook_bytes(MIXED[:2]))
        zipped.writestr("UNKNOWN_CMRT.xlsx", workbook_bytes(MIXED[:1], company="Nobody Ltd."))
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.import_batch_create(
            uploads=[upload(archive.getvalue(), "cmrts.zip")], year=YEAR, supplier=None, by=esg_manager
        )

    batch.refresh_from_db()
    assert (batch.files_total, batch.files_done, batch.files_failed) == (3, 2, 1)
    assert batch.status == ImportBatch.Status.DONE and batch.finished_at is not None
    assert Declaration.objects.filter(supplier__in=[first, second], batch=batch).count() == 2
    failed = ImportBatchFile.objects.get(batch=batch, status=ImportBatchFile.Status.FAILED)
    assert "Nobody Ltd." in failed.message

    # A task delivered twice does nothing the second time.
    done = ImportBatchFile.objects.filter(batch=batch, status=ImportBatchFile.Status.DONE).first()
    assert import_batch_file.delay(done.pk).get() is False
    assert Declaration.objects.filter(batch=batch).count() == 2

"""A supplier's declaration on each of RMI's official templates (CMRT 6.x, EMRT 1.x and 2.x), filled by the
tests, goes the whole way: the registry is loaded from the template's own Smelter Look-up sheet, the
declaration is accepted, every smelter declared with an ID is matched by it, and the statistics count them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from minerals import selectors, services
from minerals.models import Declaration, Smelter
from minerals.smelter_import import import_smelters
from tests.factories import SupplierFactory
from tests.minerals import workbooks as wb
from tests.minerals.test_parser import TEMPLATE_PARAMS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module", params=TEMPLATE_PARAMS)
def filled(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"declaration-{request.param.stem}")
    return wb.fill_official_template(request.param, folder, today=timezone.localdate())


@pytest.mark.django_db
@pytest.mark.parametrize("flavour", ["cached", "japanese"])
def test_a_filled_official_template_is_accepted_and_every_smelter_matched_by_id(filled, flavour):
    path, expected = filled[flavour]
    with path.open("rb") as handle:
        import_smelters(fileobj=handle, filename=path.name)
    year = timezone.localdate().year
    supplier = SupplierFactory()

    declaration = services.declaration_import(
        supplier=supplier,
        year=year,
        upload=SimpleUploadedFile(path.name, path.read_bytes(), content_type=XLSX),
        by=None,
    )

    assert declaration.status == Declaration.Status.ACCEPTED, declaration.issues
    assert (declaration.family, declaration.version) == (expected.template, expected.version)
    assert declaration.company_name == expected.company["name"]
    declared = list(
        declaration.smelters.order_by("row").values_list(
            "declared_cid", "smelter__smelter_id", "match_method"
        )
    )
    assert [cid for cid, _, _ in declared] == [cid for _, cid, _, _ in expected.smelters]
    listed = [(cid, matched, method) for cid, matched, method in declared if cid]
    assert listed and all(cid == matched and method == "cid" for cid, matched, method in listed)
    # "Smelter not listed" (a refinery the look-up does not know) waits for review, with an action to take.
    assert [(matched, method) for cid, matched, method in declared if not cid] == [(None, "unmatched")]

    statistics = selectors.smelter_statistics(year=year)
    cids = {cid for cid, _, _ in listed}
    assert set(statistics["by_mineral"]) == set(
        Smelter.objects.filter(smelter_id__in=cids).values_list("metal", flat=True)
    )
    assert statistics["smelters_total"] == len(cids)

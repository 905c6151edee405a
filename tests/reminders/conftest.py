import pytest

from suppliers import roles
from suppliers.models import Supplier
from tests.factories import ContactFactory, SupplierFactory, UserFactory


@pytest.fixture
def people():
    buyer = UserFactory(username="buyer1", email="buyer1@company.example", role=roles.PROCUREMENT)
    esg = UserFactory(username="esg1", email="esg1@company.example", role=roles.ESG_MANAGER)
    head = UserFactory(username="head1", email="head1@company.example", role=roles.PROCUREMENT_HEAD)
    return {"buyer": buyer, "esg": esg, "head": head}


@pytest.fixture
def supplier(people):
    supplier = SupplierFactory(
        code="S-100", name="Shenzhen Bright Circuits", buyer=people["buyer"], status=Supplier.Status.ADMITTED
    )
    ContactFactory(supplier=supplier, email="esg@bright.example")
    return supplier

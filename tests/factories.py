import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from suppliers import roles
from suppliers.models import (
    Agreement,
    BusinessUnit,
    Commodity,
    Contact,
    ExternalAssessment,
    Supplier,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
            if extracted in (roles.PROCUREMENT, roles.ESG_MANAGER):
                self.is_staff = True
                self.save(update_fields=["is_staff"])


class BusinessUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusinessUnit
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"bu-{n}")
    name = factory.Sequence(lambda n: f"Business unit {n}")


class CommodityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commodity
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"commodity-{n}")
    name = factory.Sequence(lambda n: f"Commodity {n}")
    risk_score = 50


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"S{n:06d}")
    name = factory.Sequence(lambda n: f"Supplier {n} Co., Ltd.")
    legal_name = factory.LazyAttribute(lambda s: s.name)
    category = Supplier.Category.PRODUCTION
    tier = Supplier.Tier.DIRECT
    country = "CN"
    status = Supplier.Status.CANDIDATE

    class Params:
        key_indirect = factory.Trait(
            tier=Supplier.Tier.KEY_INDIRECT, parent=factory.SubFactory("tests.factories.SupplierFactory")
        )

    @factory.post_generation
    def business_units(self, create, extracted, **kwargs):
        if create and extracted:
            self.business_units.set(extracted)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    supplier = factory.SubFactory(SupplierFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.Sequence(lambda n: f"contact{n}@supplier.example")
    role = Contact.Role.ESG


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agreement

    supplier = factory.SubFactory(SupplierFactory)
    kind = Agreement.Kind.CSR_AGREEMENT
    signed_on = factory.LazyFunction(lambda: dt.date.today() - dt.timedelta(days=30))
    signed_by = "General Manager"


class ExternalAssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExternalAssessment

    supplier = factory.SubFactory(SupplierFactory)
    kind = ExternalAssessment.Kind.RBA_VAP
    score = Decimal("170")
    scale_max = Decimal("200")
    assessed_on = factory.LazyFunction(lambda: dt.date.today() - dt.timedelta(days=100))


def make_admissible(supplier: Supplier, *, on: dt.date | None = None) -> Supplier:
    """Give a supplier everything the onboarding gate asks for."""
    on = on or dt.date.today()
    ExternalAssessmentFactory(supplier=supplier, assessed_on=on - dt.timedelta(days=60))
    for kind in Agreement.Kind.values:
        AgreementFactory(supplier=supplier, kind=kind, signed_on=on - dt.timedelta(days=10))
    return supplier


# --- audits ------------------------------------------------------------------------------------------------

from audits.models import Audit, AuditAgency, Auditor, CodeProvision, Finding  # noqa: E402


class AuditAgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditAgency
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"agency-{n}")
    name = factory.Sequence(lambda n: f"Audit Agency {n}")
    email = factory.LazyAttribute(lambda a: f"audits@{a.code}.example")


class AuditorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Auditor

    user = factory.SubFactory(UserFactory, role=roles.AUDITOR)
    agency = factory.SubFactory(AuditAgencyFactory)


class AuditFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Audit

    reference = factory.Sequence(lambda n: f"AUD-2026-{n + 1:05d}")
    supplier = factory.SubFactory(SupplierFactory)
    agency = factory.SubFactory(AuditAgencyFactory)
    site = "Plant 1, Shenzhen"
    type = Audit.Type.ANNUAL
    planned_start = dt.date(2026, 3, 2)
    planned_end = dt.date(2026, 3, 4)


def provision(code: str = "A3") -> CodeProvision:
    return CodeProvision.objects.get(code_version="RBA 8.0", code=code)


class FindingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Finding

    audit = factory.SubFactory(
        AuditFactory, status=Audit.Status.IN_PROGRESS, actual_start=dt.date(2026, 3, 2)
    )
    number = factory.Sequence(lambda n: n + 1)
    provision = factory.LazyFunction(lambda: provision("A3"))
    severity = "major"
    description = "Overtime above 60 hours a week for 30% of sampled workers."

"""A register with known figures for the 2021 ESG report (and 2020 as the prior year).

Production suppliers of 2021 (4: A, B, E, G; mainland China A and G; B in Hong Kong, E in Taiwan):
- A admitted in 2019 and still admitted; B admitted on 31 Dec 2021 23:59:59; E admitted in 2017 and exited
  in March 2021; G suspended in 2020 and reinstated in February 2021.
- Not counted: C admitted on 1 Jan 2022 00:00; D exited in 2020; F non-production; H suspended since 2020.
Risk at the end of 2021: A low (its 2022 assessment is later), B medium, E high, G never assessed.
CSR Agreement in force on 31 Dec 2021: A (no expiry), B (signed that day), G (expires that day); not E
(expired on 30 Dec) -> 75.0%.
Not admitted for red-line issues in 2021: R1 only (R2 for other reasons, R3 in 2020, R4 in 2022).
Audits completed in 2021 (distinct suppliers): A (two audits; the latest ends 31 Dec, high), E (high),
G (low) -> 3, bands 66.7 / 0.0 / 33.3; B's audit ends 1 Jan 2022, H's report is not accepted, C's audit was
cancelled. In 2020: A (twice), D, F, H -> 4; change -1.
Rectification of 2021's audits as of 31 Dec 2021: one each closed on time, closed late, open within
deadline, overdue (closed in 2022); an observation and the findings of other years' audits do not count.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from audits.models import Audit, Finding, Severity
from suppliers.models import Agreement, RiskAssessment, RiskModel, StatusTransition, Supplier
from tests.factories import AgreementFactory, AuditFactory, FindingFactory, SupplierFactory

Status = Supplier.Status


def at(*args) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


def history(supplier: Supplier, *steps: tuple[str, dt.datetime], red_line: bool = False) -> Supplier:
    """Record lifecycle steps (to_status, at) from candidate on, and leave the supplier in the last status."""
    previous = Status.CANDIDATE
    for to_status, when in steps:
        StatusTransition.objects.create(
            supplier=supplier, from_status=previous, to_status=to_status, at=when, red_line=red_line
        )
        previous = to_status
    supplier.status = previous
    supplier.save(update_fields=["status"])
    return supplier


def admitted(code: str, when: dt.datetime, *later: tuple[str, dt.datetime], **fields) -> Supplier:
    supplier = SupplierFactory(code=code, **fields)
    screening = when - dt.timedelta(days=30)
    return history(supplier, (Status.SCREENING, screening), (Status.ADMITTED, when), *later)


def assessed(supplier: Supplier, level: str, when: dt.datetime) -> RiskAssessment:
    return RiskAssessment.objects.create(
        supplier=supplier,
        model=RiskModel.objects.current(),
        computed_at=when,
        score=Decimal("50"),
        score_level=level,
        level=level,
        fingerprint=f"{supplier.code}-{when:%Y%m%d%H%M}",
    )


def audit(supplier: Supplier, end: dt.date, *, status=Audit.Status.ACCEPTED, band="medium") -> Audit:
    return AuditFactory(
        supplier=supplier,
        status=status,
        planned_start=end,
        planned_end=end,
        actual_start=end,
        actual_end=end,
        score={"high": Decimal("190"), "medium": Decimal("170"), "low": Decimal("120")}[band],
        performance_band=band,
        accepted_on=end if status in (Audit.Status.ACCEPTED, Audit.Status.CLOSED) else None,
    )


def finding(audit: Audit, *, due: dt.date | None, closed: dt.date | None = None, severity="major") -> Finding:
    return FindingFactory(
        audit=audit,
        severity=severity,
        rectification_due=due,
        cap_due=due - dt.timedelta(days=60) if due else None,
        closed_on=closed,
        closed_at=at(closed.year, closed.month, closed.day, 12) if closed else None,
    )


def build_2021() -> dict[str, Supplier]:
    s = {}
    s["A"] = admitted("A", at(2019, 5, 1), country="CN")
    s["B"] = admitted("B", at(2021, 12, 31, 23, 59, 59), country="HK")
    s["C"] = admitted("C", at(2022, 1, 1, 0, 0), country="CN")
    s["D"] = admitted("D", at(2018, 3, 1), (Status.EXITED, at(2020, 11, 1)), country="CN")
    s["E"] = admitted("E", at(2017, 3, 1), (Status.EXITED, at(2021, 3, 1)), country="TW")
    s["F"] = admitted("F", at(2019, 3, 1), country="CN", category=Supplier.Category.NON_PRODUCTION)
    s["G"] = admitted(
        "G",
        at(2020, 2, 1),
        (Status.SUSPENDED, at(2020, 12, 1)),
        (Status.ADMITTED, at(2021, 2, 1)),
        country="CN",
    )
    s["H"] = admitted("H", at(2020, 2, 1), (Status.SUSPENDED, at(2020, 12, 1)), country="CN")
    for code, when, red_line in [
        ("R1", at(2021, 6, 1), True),
        ("R2", at(2021, 7, 1), False),
        ("R3", at(2020, 12, 31, 23, 0), True),
        ("R4", at(2022, 1, 1, 0, 0), True),
    ]:
        s[code] = history(
            SupplierFactory(code=code),
            (Status.SCREENING, when - dt.timedelta(days=20)),
            (Status.REJECTED, when),
            red_line=red_line,
        )

    assessed(s["A"], "low", at(2021, 6, 1))
    assessed(s["A"], "high", at(2022, 3, 1))
    assessed(s["B"], "medium", at(2021, 12, 31, 23, 0))
    assessed(s["E"], "high", at(2020, 5, 1))

    csr = Agreement.Kind.CSR_AGREEMENT
    AgreementFactory(supplier=s["A"], kind=csr, signed_on=dt.date(2019, 1, 1), expires_on=None)
    AgreementFactory(supplier=s["B"], kind=csr, signed_on=dt.date(2021, 12, 31))
    AgreementFactory(
        supplier=s["E"], kind=csr, signed_on=dt.date(2018, 1, 1), expires_on=dt.date(2021, 12, 30)
    )
    AgreementFactory(
        supplier=s["G"], kind=csr, signed_on=dt.date(2019, 1, 1), expires_on=dt.date(2021, 12, 31)
    )
    AgreementFactory(supplier=s["H"], kind=Agreement.Kind.CODE_OF_CONDUCT, signed_on=dt.date(2019, 1, 1))

    march = audit(s["A"], dt.date(2021, 3, 1), status=Audit.Status.CLOSED, band="low")
    audit(s["A"], dt.date(2021, 12, 31), band="high")
    audit(s["E"], dt.date(2021, 6, 30), status=Audit.Status.CLOSED, band="high")
    may = audit(s["G"], dt.date(2021, 5, 1), band="low")
    next_year = audit(s["B"], dt.date(2022, 1, 1), band="high")
    submitted = audit(s["H"], dt.date(2021, 8, 1), status=Audit.Status.REPORT_SUBMITTED)
    audit(s["C"], dt.date(2021, 9, 1), status=Audit.Status.CANCELLED)
    for supplier, end in [
        (s["A"], dt.date(2020, 12, 31)),
        (s["A"], dt.date(2020, 4, 1)),
        (s["D"], dt.date(2020, 5, 5)),
        (s["F"], dt.date(2020, 7, 7)),
        (s["H"], dt.date(2020, 1, 1)),
    ]:
        audit(supplier, end)

    finding(march, due=dt.date(2021, 11, 30), closed=dt.date(2021, 11, 15))  # closed on time
    finding(march, due=dt.date(2021, 10, 1), closed=dt.date(2021, 10, 20), severity="minor")  # closed late
    finding(may, due=dt.date(2022, 3, 1))  # open within deadline on 31 Dec
    finding(may, due=dt.date(2021, 12, 1), closed=dt.date(2022, 1, 10), severity="priority")  # overdue
    finding(may, due=None, severity=Severity.OBSERVATION)
    finding(next_year, due=dt.date(2021, 1, 1))
    finding(submitted, due=None)
    return s

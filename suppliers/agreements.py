"""Agreements signed online: which text of each kind a supplier signs now, what it has still to sign, and
the signature itself.

The company publishes each agreement as ``AgreementText`` versions (English and Simplified Chinese); the
newest active version published by today is the one to sign. Signing records, as the supplier's
``Agreement``, the exact text version, the name and title the signatory typed, the time, the address the
request came from and the portal login. The onboarding gate (``lifecycle.admission_check``) counts an
agreement signed here exactly as one entered by hand: signed on a day, in force until it expires.

Refusals are translated when raised (the portal's language; English elsewhere).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.exceptions import Conflict, Invalid

from . import lifecycle
from .models import Agreement, AgreementText, OnboardingPolicy, Supplier

Kind = Agreement.Kind


def kinds_to_sign() -> list[str]:
    """The kinds every supplier signs: the CSR Agreement, the Code of Conduct acknowledgement and, when the
    onboarding policy asks for it, the Integrity Commitment (the gate's list)."""
    return lifecycle.required_agreement_kinds(policy=OnboardingPolicy.current())


def current_texts(*, on: dt.date | None = None) -> dict[str, AgreementText]:
    """The text to sign of each kind that has one published: one query."""
    on = on or timezone.localdate()
    texts: dict[str, AgreementText] = {}
    for text in AgreementText.objects.published(on=on):
        texts.setdefault(text.kind, text)
    return texts


def current_text(*, kind: str, on: dt.date | None = None) -> AgreementText | None:
    on = on or timezone.localdate()
    return AgreementText.objects.published(on=on).filter(kind=kind).first()


def expiry_of(text: AgreementText, *, signed_on: dt.date) -> dt.date | None:
    """When a signature of ``text`` made on ``signed_on`` expires: after the text's years of validity (29
    February moves to 28 February), or never."""
    if not text.valid_for_years:
        return None
    year = signed_on.year + text.valid_for_years
    try:
        return signed_on.replace(year=year)
    except ValueError:
        return signed_on.replace(year=year, day=28)


@dataclass(frozen=True)
class ToSign:
    """One agreement a supplier is asked to sign: its kind, the current text, and the agreement in force
    (if any: then it is signed already and needs signing only on a newer text)."""

    kind: str
    text: AgreementText
    in_force: Agreement | None

    @property
    def label(self) -> str:
        return str(Kind(self.kind).label)

    @property
    def signed_on_current_text(self) -> bool:
        return self.in_force is not None and self.in_force.text_id == self.text.pk

    @property
    def needed(self) -> bool:
        """Nothing in force: the supplier must sign (the gate counts it as missing)."""
        return self.in_force is None


def agreements_to_sign(*, supplier: Supplier, on: dt.date | None = None) -> list[ToSign]:
    """For each kind the supplier signs and that has a published text: the text and the agreement in force.
    Two queries (plus the onboarding policy)."""
    on = on or timezone.localdate()
    texts = current_texts(on=on)
    kinds = [kind for kind in kinds_to_sign() if kind in texts]
    in_force: dict[str, Agreement] = {}
    for agreement in Agreement.objects.filter(supplier=supplier, kind__in=kinds).order_by(
        "-signed_on", "-pk"
    ):
        if agreement.is_in_force(on):
            in_force.setdefault(agreement.kind, agreement)
    return [ToSign(kind=kind, text=texts[kind], in_force=in_force.get(kind)) for kind in kinds]


def agreement_sign(
    *, supplier: Supplier, kind: str, text: AgreementText, typed_name: str, title: str, by, ip: str | None
) -> Agreement:
    """The supplier signs ``text`` online: an ``Agreement`` of ``kind`` signed today by ``typed_name``
    (``title``), from address ``ip``, by the login ``by``, expiring after the text's validity.

    Refused (``Invalid``) without a typed name; (``Conflict``) when ``text`` is not the current text of
    ``kind`` (a newer version was published meanwhile), or when the supplier already has an agreement of
    that kind in force on this text."""
    typed_name = " ".join((typed_name or "").split())
    title = " ".join((title or "").split())
    if kind not in Kind.values:
        raise Invalid(_("There is no agreement of this kind to sign."), field="kind")
    if not typed_name:
        raise Invalid(_("Type your full name to sign."), field="typed_name")
    today = timezone.localdate()
    with transaction.atomic():
        Supplier.objects.select_for_update().filter(pk=supplier.pk).first()  # one signature at a time
        current = current_text(kind=kind, on=today)
        if current is None or text.kind != kind or current.pk != text.pk:
            raise Conflict(
                _("This text is no longer the one to sign; read the current version and sign it."),
                field="text",
            )
        signed = (
            Agreement.objects.filter(supplier=supplier, kind=kind, text=text)
            .order_by("-signed_on", "-pk")
            .first()
        )
        if signed is not None and signed.is_in_force(today):
            raise Conflict(
                _("%(agreement)s version %(version)s was already signed on %(date)s by %(name)s.")
                % {
                    "agreement": Kind(kind).label,
                    "version": text.version,
                    "date": f"{signed.signed_on:%Y-%m-%d}",
                    "name": signed.signed_by,
                },
                field="text",
            )
        agreement = Agreement(
            supplier=supplier,
            kind=kind,
            text=text,
            signed_on=today,
            signed_by=typed_name[:150],
            signatory_title=title[:150],
            expires_on=expiry_of(text, signed_on=today),
            signed_at=timezone.now(),
            signed_ip=ip or None,
            signed_user=by,
        )
        agreement._history_user = by
        agreement._change_reason = f"Signed online ({text.kind} {text.version})"
        agreement.save()
    return agreement

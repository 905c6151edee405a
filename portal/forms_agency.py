"""Forms of the auditor's pages: the audit list's filter, the audit (dates, score, summary), its report file,
a finding (by code provision), evidence, the findings workbook's upload and a closure verification.

They take input only: every rule (a red line is priority, what may be submitted, which audit may verify a
closure) is the services', whose refusals the views put on the fields.
"""

from __future__ import annotations

from collections import defaultdict

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from audits.models import Audit, CodeProvision, RedLine, Severity

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AuditFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("open", _("To do (planned or in progress)")), *Audit.Status.choices],
    )

    def filter(self, audits):
        status = self.cleaned_data.get("status") if self.is_valid() else ""
        if status == "open":
            return audits.awaiting_report()
        if status:
            return audits.filter(status=status)
        return audits


class AuditForm(forms.Form):
    """The agency's record of the audit (``services.AUDITOR_FIELDS``); setting the actual start starts it."""

    actual_start = forms.DateField(label=_("Actual start"), required=False, widget=DATE)
    actual_end = forms.DateField(label=_("Actual end"), required=False, widget=DATE)
    score = forms.DecimalField(
        label=_("Score"),
        required=False,
        min_value=0,
        max_value=200,
        max_digits=4,
        decimal_places=1,
        help_text=_("0 to 200, as in the RBA VAP."),
        widget=forms.NumberInput(attrs={"step": "0.1", "min": "0", "max": "200"}),
    )
    summary = forms.CharField(label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    @classmethod
    def for_audit(cls, audit: Audit, data=None) -> AuditForm:
        return cls(
            data,
            prefix="audit",
            initial={
                "actual_start": audit.actual_start,
                "actual_end": audit.actual_end,
                "score": audit.score,
                "summary": audit.summary,
            },
        )


class FileForm(forms.Form):
    file = forms.FileField(label=_("File"))

    def __init__(self, *args, label=None, help_text=None, **kwargs):
        super().__init__(*args, **kwargs)
        if label is not None:
            self.fields["file"].label = label
        if help_text is not None:
            self.fields["file"].help_text = help_text


def provision_choices(language: str) -> list[tuple[str, list[tuple[int, str]]]]:
    """The provisions a finding may name (``CodeProvision.in_use``), grouped by section A to E, with their
    titles in ``language``: one query."""
    sections = dict(CodeProvision.Section.choices)
    groups: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for provision in CodeProvision.in_use():
        groups[provision.section].append((provision.pk, f"{provision.code} {provision.title_in(language)}"))
    return [(str(sections.get(section, section)), groups[section]) for section in sorted(groups)]


class FindingForm(forms.Form):
    provision = forms.TypedChoiceField(label=_("Code provision"), coerce=int)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    red_line = forms.ChoiceField(
        label=_("Red-line category"),
        required=False,
        choices=[("", _("None")), *RedLine.choices],
        help_text=_("A red-line finding is at least priority."),
    )
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What was found, as the supplier will read it."),
    )
    evidence_notes = forms.CharField(
        label=_("Auditor notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you saw: records, interviews, photos. The supplier never sees these notes."),
    )

    def __init__(self, *args, current: CodeProvision | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = provision_choices(get_language() or "en")
        offered = {pk for _section, group in choices for pk, _label in group}
        if current is not None and current.pk not in offered:
            # A finding keeps a provision no longer in use until the auditor picks another.
            label = f"{current.code} {current.title_in(get_language() or 'en')} ({current.code_version})"
            choices = [(str(_("Current")), [(current.pk, label)]), *choices]
        self.fields["provision"].choices = [("", "---------"), *choices]

    def clean_provision(self):
        pk = self.cleaned_data["provision"]
        provision = CodeProvision.objects.filter(pk=pk).first()
        if provision is None:
            raise forms.ValidationError(_("Pick a code provision from the list."))
        return provision

    @classmethod
    def for_finding(cls, finding, data=None) -> FindingForm:
        return cls(
            data,
            current=finding.provision,
            initial={
                "provision": finding.provision_id,
                "severity": finding.severity,
                "red_line": finding.red_line,
                "description": finding.description,
                "evidence_notes": finding.evidence_notes,
            },
        )


class EvidenceForm(forms.Form):
    file = forms.FileField(
        label=_("Evidence file"), help_text=_("PDF, JPEG, PNG, XLSX or DOCX, recognised by content.")
    )
    description = forms.CharField(label=_("Description"), max_length=255, required=False)


class VerifyForm(forms.Form):
    """A closure verified by a follow-up audit: one of the agency's audits of the supplier."""

    follow_up_audit = forms.ModelChoiceField(
        label=_("Follow-up audit"),
        queryset=Audit.objects.none(),
        empty_label=None,
        help_text=_("The audit of this supplier by your agency that verified the rectification."),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, audits=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["follow_up_audit"]
        field.queryset = audits if audits is not None else Audit.objects.none()
        field.label_from_instance = lambda audit: (
            f"{audit.reference} · {audit.get_type_display()} · {audit.get_status_display()}"
            f"{' · ' + audit.actual_end.isoformat() if audit.actual_end else ''}"
        )

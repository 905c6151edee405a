"""Shapes of the supplier API: what goes in, what comes out, and the field-level checks that name the field
at fault. The master data's rules stay in ``suppliers.services`` (the supplier's ``validate`` asks it, to name
every field at fault at once), lifecycle and risk rules in ``suppliers.lifecycle`` and ``suppliers.risk``.

What outside users see. Serializers that mix the company's internal facts with what a supplier may know
name the internal fields in ``Meta.internal_fields`` (``InternalFieldsMixin``); they are left out of the
answer unless the view says the caller is internal (``context["internal"]``: the view asks its permissions
module). Without that word from the view the fields are left out, so a new caller sees too little, never too
much. The OpenAPI schema lists these fields as optional and says who gets them.

Internal fields of a supplier, and why a supplier contact does not get them:
- ``risk_level``, ``risk_score``, ``risk_override``: the company's assessment of the supplier (and its
  reasons); shown to the supplier it would invite arguing the score rather than fixing findings, and the
  level drives internal audit planning. The contact sees their findings and deadlines instead.
- ``annual_spend``, ``currency``, ``strategic``: the company's commercial position and materiality inputs.
- ``buyer``, ``buyer_email``: internal staff identities; a supplier reaches procurement through its usual
  channels and the reminders it receives, not through a directory of staff accounts.
- the ``transition``, ``transitions`` and ``risk`` links, which lead to internal actions (403 for a
  contact).
What a contact does see: the master data they gave, their lifecycle status (they are told when admitted or
suspended) and the admission check (the conditions they must meet).
"""

from __future__ import annotations

from django.db import models
from django_countries.serializers import CountryFieldMixin
from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from suppliers import lifecycle, risk, services
from suppliers.models import (
    BUYER_NOT_ELIGIBLE,
    BusinessUnit,
    Commodity,
    Region,
    RiskLevel,
    StatusTransition,
    Supplier,
    eligible_buyers,
)


class NamedChoiceField(serializers.ChoiceField):
    """A choice field documented as one named enum component however many fields (``status``, ``to``,
    ``from_status``...) carry the same choices, so that API clients get one type per choice set."""

    component_name: str
    choices_class: type[models.Choices]

    def __init__(self, **kwargs):
        super().__init__(choices=self.choices_class.choices, **kwargs)


class SupplierStatusField(NamedChoiceField):
    component_name = "SupplierStatus"
    choices_class = Supplier.Status


class RiskLevelField(NamedChoiceField):
    component_name = "RiskLevel"
    choices_class = RiskLevel


class NamedChoiceFieldSchema(OpenApiSerializerFieldExtension):
    target_class = NamedChoiceField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        component = ResolvedComponent(
            name=field.component_name,
            type=ResolvedComponent.SCHEMA,
            object=field.component_name,
            schema={
                "type": "string",
                "enum": list(field.choices_class.values),
                "description": "\n".join(
                    f"* `{value}` - {label}" for value, label in field.choices_class.choices
                ),
            },
        )
        auto_schema.registry.register_on_missing(component)
        if field.allow_blank:
            return {"oneOf": [component.ref, {"type": "string", "enum": [""]}]}
        return component.ref


class InternalFieldsMixin:
    """Leaves out the fields named in ``Meta.internal_fields`` unless ``context["internal"]`` is true."""

    def get_fields(self):
        fields = super().get_fields()
        if not self.context.get("internal", False):
            for name in getattr(self.Meta, "internal_fields", ()):
                fields.pop(name, None)
        return fields


class InternalFieldsSchema(OpenApiSerializerExtension):
    """In the schema, internal fields are optional and say who gets them."""

    target_class = InternalFieldsMixin
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        # ``_map_basic_serializer`` is how drf-spectacular maps a plain serializer; only the required list and
        # the descriptions are changed here.
        internal = set(getattr(self.target.Meta, "internal_fields", ()))
        serializer = self.target
        serializer.context["internal"] = True
        serializer.__dict__.pop("fields", None)  # ``fields`` is cached: map them all
        schema = auto_schema._map_basic_serializer(serializer, direction)
        schema["required"] = [name for name in schema.get("required", []) if name not in internal]
        if not schema["required"]:
            del schema["required"]
        for name in internal & schema["properties"].keys():
            prop = schema["properties"][name]
            note = INTERNAL_NOTE
            if "$ref" in prop:
                schema["properties"][name] = {"allOf": [prop], "description": note}
            else:
                prop["description"] = f"{prop['description']} {note}" if prop.get("description") else note
        return schema


INTERNAL_NOTE = "Internal: absent for supplier contacts."


def user_label(user) -> str | None:
    if user is None:
        return None
    return user.email or user.get_username()


class RiskOverrideSerializer(serializers.Serializer):
    level = RiskLevelField()
    reason = serializers.CharField()
    by = serializers.CharField(allow_null=True, help_text="E-mail (or username) of who set the override.")
    at = serializers.DateTimeField()


def risk_override_data(supplier: Supplier) -> dict | None:
    if not supplier.risk_override_level:
        return None
    return {
        "level": supplier.risk_override_level,
        "reason": supplier.risk_override_reason,
        "by": user_label(supplier.risk_override_by),
        "at": supplier.risk_override_at,
    }


class SupplierLinksSerializer(InternalFieldsMixin, serializers.Serializer):
    self = serializers.URLField()
    admission_check = serializers.URLField()
    transition = serializers.URLField()
    transitions = serializers.URLField()
    risk = serializers.URLField()

    class Meta:
        internal_fields = ("transition", "transitions", "risk")


LINK_ROUTES = {
    "self": "detail",
    "admission_check": "admission-check",
    "transition": "transition",
    "transitions": "transitions",
    "risk": "risk",
}


class SupplierSerializer(InternalFieldsMixin, CountryFieldMixin, serializers.ModelSerializer):
    """A supplier's master data (writable) with its status and risk (read-only: they change through the
    transition and risk actions). Internal fields are for the company's staff only (module docstring)."""

    parent = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Supplier.objects.all(),  # a tier-2 parent is refused by services.tier_problems, by name
        allow_null=True,
        required=False,
        help_text="Code of the tier-1 supplier a key indirect (tier 2) supplier supplies.",
        error_messages={"does_not_exist": "No supplier has the code '{value}'."},
    )
    business_units = serializers.SlugRelatedField(
        slug_field="code",
        many=True,
        queryset=BusinessUnit.objects.all(),
        required=False,
        help_text="Codes of the business units this supplier serves.",
        error_messages={"does_not_exist": "Unknown business unit code '{value}'."},
    )
    commodity = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Commodity.objects.all(),
        allow_null=True,
        required=False,
        help_text="Code of the commodity / process.",
        error_messages={"does_not_exist": "Unknown commodity / process code '{value}'."},
    )
    buyer = serializers.PrimaryKeyRelatedField(
        queryset=eligible_buyers(),
        allow_null=True,
        required=False,
        help_text="Id of the responsible buyer, an active staff user in the Procurement role. Defaults to "
        "the caller when a buyer registers a supplier.",
        error_messages={"does_not_exist": BUYER_NOT_ELIGIBLE.replace("%(value)s", "{pk_value}")},
    )
    buyer_email = serializers.EmailField(source="buyer.email", read_only=True, allow_null=True)
    region = serializers.ChoiceField(
        choices=Region.choices, read_only=True, help_text="Reporting region, derived from the country."
    )
    status = SupplierStatusField(read_only=True, help_text="Changes through the transition action.")
    risk_level = RiskLevelField(
        read_only=True, allow_blank=True, help_text="Level the supplier carries; empty until first assessed."
    )
    risk_override = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta:
        model = Supplier
        fields = [
            "id",
            *services.EDITABLE_FIELDS,
            "region",
            "buyer_email",
            "status",
            "status_changed_at",
            "risk_level",
            "risk_score",
            "risk_override",
            "links",
        ]
        read_only_fields = ["status", "status_changed_at", "risk_level", "risk_score"]
        internal_fields = (
            "buyer",
            "buyer_email",
            "annual_spend",
            "currency",
            "strategic",
            "risk_level",
            "risk_score",
            "risk_override",
        )

    @extend_schema_field(RiskOverrideSerializer(allow_null=True))
    def get_risk_override(self, supplier: Supplier) -> dict | None:
        return risk_override_data(supplier)

    @extend_schema_field(SupplierLinksSerializer)
    def get_links(self, supplier: Supplier) -> dict:
        request = self.context.get("request")

        def url(name: str) -> str:
            return reverse(f"api:supplier-{name}", kwargs={"pk": supplier.pk}, request=request)

        links = SupplierLinksSerializer(context=self.context).fields
        return {name: url(route) for name, route in LINK_ROUTES.items() if name in links}

    def validate(self, attrs: dict) -> dict:
        problems = services.supplier_problems(supplier=self.instance, values=attrs)
        if problems:
            raise serializers.ValidationError(problems)
        return attrs


class ConditionSerializer(serializers.Serializer):
    key = serializers.CharField(
        help_text="Which gate condition: esg_evidence, red_line or an agreement kind."
    )
    met = serializers.BooleanField()
    message = serializers.CharField()


class AdmissionCheckSerializer(serializers.Serializer):
    admissible = serializers.BooleanField()
    on = serializers.DateField(help_text="Day the gate was checked for.")
    conditions = ConditionSerializer(many=True)
    unmet = serializers.ListField(child=serializers.CharField(), help_text="Every unmet condition, in words.")


class StatusTransitionSerializer(serializers.ModelSerializer):
    from_status = SupplierStatusField(read_only=True)
    to_status = SupplierStatusField(read_only=True)
    by = serializers.SerializerMethodField()

    class Meta:
        model = StatusTransition
        fields = ["id", "from_status", "to_status", "by", "at", "reason", "unmet_conditions", "red_line"]
        read_only_fields = fields

    def get_by(self, transition: StatusTransition) -> str | None:
        return user_label(transition.by)


class TransitionRequestSerializer(serializers.Serializer):
    to = SupplierStatusField(help_text="The status to move the supplier to.")
    reason = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta:
        ref_name = "Transition"

    def validate(self, attrs: dict) -> dict:
        if attrs["to"] in lifecycle.REASON_REQUIRED and not attrs["reason"].strip():
            label = Supplier.Status(attrs["to"]).label
            raise serializers.ValidationError({"reason": f"Moving a supplier to '{label}' needs a reason."})
        return attrs


class TransitionResultSerializer(serializers.Serializer):
    status = SupplierStatusField(help_text="The supplier's new status.")
    transition = StatusTransitionSerializer()


class TransitionRefusedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    unmet = serializers.ListField(
        child=serializers.CharField(), help_text="Unmet onboarding gate conditions, in words (may be empty)."
    )


class FactorSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    score = serializers.FloatField(help_text="0-100, higher is riskier.")
    weight = serializers.IntegerField(help_text="Percent; the six weights add up to 100.")
    contribution = serializers.FloatField(
        help_text="score × weight / 100; contributions add up to the score."
    )
    detail = serializers.CharField()


class RiskSerializer(serializers.Serializer):
    """A supplier's risk: the level it carries and its latest stored assessment, explained."""

    supplier = serializers.CharField(source="code")
    level = RiskLevelField(
        source="risk_level",
        allow_blank=True,
        help_text="Level the supplier carries (override included); empty if never assessed.",
    )
    score = serializers.DecimalField(
        source="risk_assessment.score", max_digits=5, decimal_places=2, allow_null=True, read_only=True
    )
    score_level = RiskLevelField(
        source="risk_assessment.score_level",
        allow_null=True,
        read_only=True,
        help_text="Level from the score alone.",
    )
    assessed_level = RiskLevelField(
        source="risk_assessment.level",
        allow_null=True,
        read_only=True,
        help_text="Level after hard rules, before any override.",
    )
    model_version = serializers.IntegerField(
        source="risk_assessment.model.version", allow_null=True, read_only=True
    )
    computed_at = serializers.DateTimeField(
        source="risk_assessment.computed_at", allow_null=True, read_only=True
    )
    factors = serializers.SerializerMethodField()
    hard_rules = serializers.SerializerMethodField()
    override = serializers.SerializerMethodField()
    explanation = serializers.SerializerMethodField()

    @extend_schema_field(FactorSerializer(many=True))
    def get_factors(self, supplier: Supplier) -> list[dict]:
        return supplier.risk_assessment.factors if supplier.risk_assessment else []

    def get_hard_rules(self, supplier: Supplier) -> list[str]:
        return supplier.risk_assessment.hard_rules if supplier.risk_assessment else []

    @extend_schema_field(RiskOverrideSerializer(allow_null=True))
    def get_override(self, supplier: Supplier) -> dict | None:
        return risk_override_data(supplier)

    def get_explanation(self, supplier: Supplier) -> list[str]:
        return risk.explanation(supplier=supplier)


class RiskOverrideRequestSerializer(serializers.Serializer):
    level = RiskLevelField()
    reason = serializers.CharField(
        error_messages={
            "required": "A risk override needs a reason.",
            "blank": "A risk override needs a reason.",
        }
    )

    class Meta:
        ref_name = "SetRiskOverride"

"""Shapes of the minerals API. Rules stay in ``minerals.services``; input checks here name the field."""

from __future__ import annotations

from django_countries.serializers import CountryFieldMixin
from rest_framework import serializers

from minerals.models import Declaration, DeclaredSmelter, Family, Mineral, RmapStatus, Smelter
from suppliers.api.serializers import NamedChoiceField, user_label
from suppliers.models import Supplier


class MineralField(NamedChoiceField):
    component_name = "SmelterMetal"
    choices_class = Mineral


class RmapStatusField(NamedChoiceField):
    component_name = "RmapStatus"
    choices_class = RmapStatus


class FamilyField(NamedChoiceField):
    component_name = "DeclarationFamily"
    choices_class = Family


class DeclarationStatusField(NamedChoiceField):
    component_name = "DeclarationStatus"
    choices_class = Declaration.Status


class MatchMethodField(NamedChoiceField):
    component_name = "SmelterMatchMethod"
    choices_class = DeclaredSmelter.MatchMethod


class SmelterSerializer(CountryFieldMixin, serializers.ModelSerializer):
    metal = MineralField(read_only=True)
    rmap_status = RmapStatusField(read_only=True)

    class Meta:
        model = Smelter
        fields = [
            "id",
            "smelter_id",
            "name",
            "metal",
            "country",
            "country_name",
            "rmap_status",
            "status_date",
        ]
        read_only_fields = fields


class SmelterRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    smelter_id = serializers.CharField()
    name = serializers.CharField()
    rmap_status = RmapStatusField()


class DeclarationSupplierSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class IssueSerializer(serializers.Serializer):
    sheet = serializers.CharField()
    cell = serializers.CharField()
    severity = serializers.ChoiceField(choices=["error", "warning"])
    message = serializers.CharField()


class DeclaredSmelterSerializer(serializers.ModelSerializer):
    smelter_id = serializers.CharField(source="declared_cid", help_text="The smelter ID as declared.")
    matched = SmelterRefSerializer(source="smelter", read_only=True, allow_null=True)
    match_method = MatchMethodField(read_only=True)

    class Meta:
        model = DeclaredSmelter
        fields = [
            "row",
            "metal",
            "name",
            "lookup_name",
            "country",
            "smelter_id",
            "source",
            "recycled",
            "matched",
            "match_method",
        ]
        read_only_fields = fields


class DeclarationSerializer(serializers.ModelSerializer):
    supplier = DeclarationSupplierSerializer(read_only=True)
    family = FamilyField(read_only=True)
    status = DeclarationStatusField(read_only=True)
    uploaded_by = serializers.SerializerMethodField()
    smelter_count = serializers.IntegerField(read_only=True)
    unmatched_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Declaration
        fields = [
            "id",
            "supplier",
            "year",
            "family",
            "template",
            "version",
            "status",
            "filename",
            "sha256",
            "company_name",
            "effective_date",
            "error_count",
            "warning_count",
            "smelter_count",
            "unmatched_count",
            "superseded_by",
            "uploaded_by",
            "uploaded_at",
        ]
        read_only_fields = fields

    def get_uploaded_by(self, obj: Declaration) -> str | None:
        return user_label(obj.uploaded_by)


class DeclarationDetailSerializer(DeclarationSerializer):
    issues = IssueSerializer(many=True, read_only=True)
    smelters = DeclaredSmelterSerializer(many=True, read_only=True)
    minerals_in_scope = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta(DeclarationSerializer.Meta):
        fields = [*DeclarationSerializer.Meta.fields, "minerals_in_scope", "issues", "smelters"]
        read_only_fields = fields


class DeclarationUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The filled CMRT or EMRT workbook (.xlsx).")
    year = serializers.IntegerField(min_value=2000, max_value=2100, help_text="Reporting year.")
    supplier = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Supplier.objects.none(),
        required=False,
        help_text="Supplier code. Supplier contacts may leave it out: their own supplier.",
        error_messages={"does_not_exist": "No supplier you may declare for has the code '{value}'."},
    )

    def __init__(self, *args, suppliers=None, own_supplier_default: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.own_supplier_default = own_supplier_default
        if suppliers is not None:
            self.fields["supplier"].queryset = suppliers

    def validate(self, attrs):
        if "supplier" not in attrs:
            suppliers = list(self.fields["supplier"].queryset[:2]) if self.own_supplier_default else []
            if len(suppliers) != 1:
                raise serializers.ValidationError({"supplier": ["Give the supplier code."]})
            attrs["supplier"] = suppliers[0]
        return attrs

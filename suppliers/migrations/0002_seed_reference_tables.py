"""Seed the editable reference tables with sensible defaults: business units, commodity/process risk,
country risk, the first risk model version and the onboarding policy.

Country scores are a starting point built from public indices of labour rights, rule of law and
corruption (ITUC Global Rights Index, WJP Rule of Law Index, Transparency International CPI), rounded to
bands; ESG managers review and edit them in the admin. Countries without a row use the model's default.
"""

from django.db import migrations

BUSINESS_UNITS = [
    ("smartphone", "Smartphone"),
    ("tv", "TV and large display"),
    ("smart-hardware", "Smart hardware and IoT"),
    ("laptop", "Laptop and tablet"),
    ("wearables", "Wearables"),
    ("home-appliances", "Home appliances"),
    ("ev", "Electric vehicles"),
    ("corporate", "Corporate functions"),
]

COMMODITIES = [
    ("final-assembly", "Final assembly", 70, "Labour-intensive; peak-season overtime and dispatch labour."),
    ("pcb", "PCB and PCBA", 65, "Chemical handling, wastewater, working hours."),
    (
        "battery",
        "Battery cells and packs",
        75,
        "Hazardous materials, fire risk, cobalt and lithium sourcing.",
    ),
    ("display", "Display panels", 55, "Chemicals and clean-room health and safety."),
    ("semiconductors", "Semiconductors", 45, "Highly automated; chemicals and water use."),
    ("mechanical-parts", "Mechanical parts and casings", 60, "Metal finishing, dust, noise, machine safety."),
    ("plastics", "Plastic injection moulding", 55, "Machine safety, working hours."),
    ("electronic-components", "Passive and electronic components", 50, "Mixed labour intensity."),
    ("cables-connectors", "Cables and connectors", 55, "Labour-intensive manual work."),
    ("camera-modules", "Camera modules and optics", 50, "Clean-room work, working hours."),
    ("chemicals", "Chemicals, adhesives and coatings", 70, "Hazardous substances, emissions, fire hazards."),
    ("packaging", "Packaging and printing", 50, "Working hours, fire load, dust."),
    ("logistics", "Logistics and warehousing", 45, "Driving hours, subcontracted labour."),
    ("facility-services", "Facility services (cleaning, security, catering)", 55, "Agency labour, wages."),
    ("it-services", "IT and professional services", 20, "Office work."),
    ("marketing", "Marketing and events", 25, "Subcontracted event labour."),
]

COUNTRY_SCORES = {
    # Low: strong labour inspection and rule of law.
    "DK": 10,
    "FI": 10,
    "NO": 10,
    "SE": 10,
    "NL": 15,
    "DE": 15,
    "AT": 15,
    "CH": 15,
    "IE": 15,
    "BE": 20,
    "FR": 20,
    "GB": 20,
    "CA": 20,
    "AU": 20,
    "NZ": 15,
    "JP": 20,
    "SG": 25,
    "EE": 20,
    "CZ": 25,
    "PT": 25,
    "ES": 25,
    "IT": 30,
    "PL": 30,
    "SK": 30,
    "SI": 25,
    "US": 30,
    "IL": 35,
    "KR": 35,
    "TW": 35,
    "HK": 40,
    "MO": 40,
    "HU": 40,
    "RO": 40,
    "BG": 45,
    "GR": 35,
    "CL": 40,
    "UY": 30,
    # Medium.
    "CN": 55,
    "MY": 60,
    "TH": 60,
    "VN": 60,
    "IN": 65,
    "ID": 65,
    "PH": 65,
    "MX": 60,
    "BR": 55,
    "TR": 60,
    "RS": 50,
    "ZA": 55,
    "AR": 50,
    "CO": 60,
    "PE": 55,
    "MA": 55,
    "TN": 55,
    "EG": 65,
    "AE": 60,
    "SA": 65,
    "LK": 60,
    "UA": 60,
    "KZ": 60,
    "RU": 70,
    # High: weak enforcement, documented forced or child labour in relevant sectors.
    "BD": 80,
    "PK": 80,
    "KH": 75,
    "MM": 90,
    "LA": 75,
    "NG": 75,
    "KE": 65,
    "ET": 75,
    "CD": 95,
    "RW": 70,
    "ZM": 65,
    "ZW": 75,
    "TZ": 70,
    "UG": 70,
    "BO": 70,
    "BY": 75,
    "UZ": 70,
    "TM": 90,
    "IR": 85,
    "KP": 100,
    "VE": 80,
    "SD": 90,
    "ER": 95,
    "AF": 95,
    "YE": 95,
    "SY": 95,
}


def seed(apps, schema_editor):
    BusinessUnit = apps.get_model("suppliers", "BusinessUnit")
    Commodity = apps.get_model("suppliers", "Commodity")
    CountryRisk = apps.get_model("suppliers", "CountryRisk")
    RiskModel = apps.get_model("suppliers", "RiskModel")
    OnboardingPolicy = apps.get_model("suppliers", "OnboardingPolicy")

    for code, name in BUSINESS_UNITS:
        BusinessUnit.objects.get_or_create(code=code, defaults={"name": name})
    for code, name, score, rationale in COMMODITIES:
        Commodity.objects.get_or_create(
            code=code, defaults={"name": name, "risk_score": score, "rationale": rationale}
        )
    for country, score in COUNTRY_SCORES.items():
        CountryRisk.objects.get_or_create(
            country=country, defaults={"score": score, "rationale": "Default table (public indices, banded)."}
        )
    if not RiskModel.objects.exists():
        RiskModel.objects.create(
            version=1,
            note="Default model",
            usd_rates={
                "USD": 1,
                "CNY": 0.14,
                "EUR": 1.08,
                "JPY": 0.0067,
                "KRW": 0.00073,
                "TWD": 0.031,
                "HKD": 0.128,
                "INR": 0.012,
                "VND": 0.000039,
                "MYR": 0.22,
                "THB": 0.029,
                "GBP": 1.27,
                "MXN": 0.055,
                "IDR": 0.000062,
                "PHP": 0.017,
                "BRL": 0.18,
                "SGD": 0.75,
                "CHF": 1.13,
            },
        )
    OnboardingPolicy.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("suppliers", "0001_register_and_risk_model")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

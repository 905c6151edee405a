"""Seed the RBA Code of Conduct provisions (version 8.0 numbering) that findings refer to, and the audit and
deadline policy with the programme's defaults. Both are data: ESG managers edit them in the admin."""

from django.db import migrations

RBA_8 = {
    "A": [
        "Freely Chosen Employment",
        "Young Workers",
        "Working Hours",
        "Wages and Benefits",
        "Humane Treatment",
        "Non-Discrimination/Non-Harassment",
        "Freedom of Association",
    ],
    "B": [
        "Occupational Safety",
        "Emergency Preparedness",
        "Occupational Injury and Illness",
        "Industrial Hygiene",
        "Physically Demanding Work",
        "Machine Safeguarding",
        "Sanitation, Food, and Housing",
        "Health and Safety Communication",
    ],
    "C": [
        "Environmental Permits and Reporting",
        "Pollution Prevention and Resource Reduction",
        "Hazardous Substances",
        "Solid Waste",
        "Air Emissions",
        "Materials Restrictions",
        "Water Management",
        "Energy Consumption and Greenhouse Gas Emissions",
    ],
    "D": [
        "Business Integrity",
        "No Improper Advantage",
        "Disclosure of Information",
        "Intellectual Property",
        "Fair Business, Advertising and Competition",
        "Protection of Identity and Non-Retaliation",
        "Responsible Sourcing of Minerals",
        "Privacy",
    ],
    "E": [
        "Company Commitment",
        "Management Accountability and Responsibility",
        "Legal and Customer Requirements",
        "Risk Assessment and Risk Management",
        "Improvement Objectives",
        "Training",
        "Communication",
        "Worker Feedback, Participation and Grievance",
        "Audits and Assessments",
        "Corrective Action Process",
        "Documentation and Records",
        "Supplier Responsibility",
    ],
}


def seed(apps, schema_editor):
    CodeProvision = apps.get_model("audits", "CodeProvision")
    AuditPolicy = apps.get_model("audits", "AuditPolicy")
    for section, titles in RBA_8.items():
        for number, title in enumerate(titles, 1):
            CodeProvision.objects.get_or_create(
                code_version="RBA 8.0",
                code=f"{section}{number}",
                defaults={"section": section, "title": title},
            )
    AuditPolicy.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("audits", "0001_audits_findings_corrective_action")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

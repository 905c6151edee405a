"""Why a report was returned, kept on the audit (before, only as a history change reason), and the Simplified
Chinese titles of the seeded RBA 8.0 provisions.

The return reason of audits returned and not yet resubmitted is taken from their history, so that the agency
sees it at once. Data is read with ``apps.get_model``; provisions whose English title was edited since the
seed keep an empty Chinese title (staff fill it in the admin)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

RETURN_PREFIX = "Returned to the agency: "

# (code, English title as seeded by 0002, Simplified Chinese title), RBA Code of Conduct 8.0.
RBA_8_ZH = [
    ("A1", "Freely Chosen Employment", "自由择业"),
    ("A2", "Young Workers", "青年工人"),
    ("A3", "Working Hours", "工作时间"),
    ("A4", "Wages and Benefits", "工资和福利"),
    ("A5", "Humane Treatment", "人道待遇"),
    ("A6", "Non-Discrimination/Non-Harassment", "反歧视/反骚扰"),
    ("A7", "Freedom of Association", "结社自由"),
    ("B1", "Occupational Safety", "职业安全"),
    ("B2", "Emergency Preparedness", "应急准备"),
    ("B3", "Occupational Injury and Illness", "职业伤害和疾病"),
    ("B4", "Industrial Hygiene", "工业卫生"),
    ("B5", "Physically Demanding Work", "高体力强度工作"),
    ("B6", "Machine Safeguarding", "机器防护"),
    ("B7", "Sanitation, Food, and Housing", "卫生设施、食物和住宿"),
    ("B8", "Health and Safety Communication", "健康与安全沟通"),
    ("C1", "Environmental Permits and Reporting", "环境许可和报告"),
    ("C2", "Pollution Prevention and Resource Reduction", "防止污染和节约资源"),
    ("C3", "Hazardous Substances", "有害物质"),
    ("C4", "Solid Waste", "固体废物"),
    ("C5", "Air Emissions", "废气排放"),
    ("C6", "Materials Restrictions", "材料限制"),
    ("C7", "Water Management", "水资源管理"),
    ("C8", "Energy Consumption and Greenhouse Gas Emissions", "能源消耗和温室气体排放"),
    ("D1", "Business Integrity", "商业诚信"),
    ("D2", "No Improper Advantage", "无不正当利益"),
    ("D3", "Disclosure of Information", "信息公开"),
    ("D4", "Intellectual Property", "知识产权"),
    ("D5", "Fair Business, Advertising and Competition", "公平交易、广告和竞争"),
    ("D6", "Protection of Identity and Non-Retaliation", "身份保护和禁止报复"),
    ("D7", "Responsible Sourcing of Minerals", "负责任的矿产采购"),
    ("D8", "Privacy", "隐私"),
    ("E1", "Company Commitment", "公司承诺"),
    ("E2", "Management Accountability and Responsibility", "管理层的义务和责任"),
    ("E3", "Legal and Customer Requirements", "法律和客户要求"),
    ("E4", "Risk Assessment and Risk Management", "风险评估和风险管理"),
    ("E5", "Improvement Objectives", "改进目标"),
    ("E6", "Training", "培训"),
    ("E7", "Communication", "沟通"),
    ("E8", "Worker Feedback, Participation and Grievance", "员工反馈、参与和申诉"),
    ("E9", "Audits and Assessments", "审核和评估"),
    ("E10", "Corrective Action Process", "纠正措施流程"),
    ("E11", "Documentation and Records", "文件和记录"),
    ("E12", "Supplier Responsibility", "供应商责任"),
]


def chinese_titles(apps, schema_editor):
    CodeProvision = apps.get_model("audits", "CodeProvision")
    for code, english, chinese in RBA_8_ZH:
        CodeProvision.objects.filter(
            code_version="RBA 8.0", code=code, title=english, title_zh_hans=""
        ).update(title_zh_hans=chinese)


def return_reasons_from_history(apps, schema_editor):
    Audit = apps.get_model("audits", "Audit")
    HistoricalAudit = apps.get_model("audits", "HistoricalAudit")
    for audit in Audit.objects.filter(status="in_progress", returned_at__isnull=True).only("pk"):
        latest = (
            HistoricalAudit.objects.filter(id=audit.pk, history_change_reason__startswith=RETURN_PREFIX)
            .order_by("-history_date")
            .values("history_date", "history_change_reason", "history_user_id")
            .first()
        )
        if latest is None:
            continue
        if HistoricalAudit.objects.filter(
            id=audit.pk, history_date__gt=latest["history_date"], status="report_submitted"
        ).exists():
            continue  # submitted again since: no longer returned
        Audit.objects.filter(pk=audit.pk).update(
            returned_at=latest["history_date"],
            returned_by_id=latest["history_user_id"],
            returned_reason=latest["history_change_reason"][len(RETURN_PREFIX) :],
        )


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0007_files_are_private"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="audit",
            name="returned_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="audit",
            name="returned_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="audit",
            name="returned_reason",
            field=models.TextField(
                blank=True,
                help_text="Why the report was last returned to the agency; the agency reads it in the portal.",
            ),
        ),
        migrations.AddField(
            model_name="historicalaudit",
            name="returned_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="historicalaudit",
            name="returned_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="historicalaudit",
            name="returned_reason",
            field=models.TextField(
                blank=True,
                help_text="Why the report was last returned to the agency; the agency reads it in the portal.",
            ),
        ),
        migrations.AddField(
            model_name="codeprovision",
            name="title_zh_hans",
            field=models.CharField(
                blank=True,
                help_text="Shown to users who read Chinese.",
                max_length=150,
                verbose_name="title (Simplified Chinese)",
            ),
        ),
        migrations.RunPython(chinese_titles, migrations.RunPython.noop),
        migrations.RunPython(return_reasons_from_history, migrations.RunPython.noop),
    ]

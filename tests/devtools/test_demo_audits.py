import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from audits.models import Audit, Finding
from devtools.demo.suppliers import demo_seed
from reminders import services

pytestmark = pytest.mark.django_db


def test_demo_audits_give_the_reminder_run_something_to_send(capsys):
    demo_seed(suppliers=300, seed=3)

    call_command("seed_demo_audits", "--audits", "12", "--demo-schedule")

    assert "demo audits: 12 audits" in capsys.readouterr().out
    assert Audit.objects.filter(status__in=["accepted", "closed"]).count() == 12
    assert Finding.objects.exclude(closed_on=None).exists()
    assert (
        PeriodicTask.objects.get(name="Demo: reminders every minute").task
        == "reminders.tasks.run_daily_reminders"
    )
    report = services.run_reminders()
    assert report.total > 0
    assert report.digests > 0


def test_demo_audits_are_added_once(capsys):
    demo_seed(suppliers=200, seed=3)
    call_command("seed_demo_audits", "--audits", "5", "--if-empty")
    call_command("seed_demo_audits", "--audits", "5", "--if-empty")

    assert Audit.objects.count() == 5
    assert "5 audits already exist; no demo audits added." in capsys.readouterr().out

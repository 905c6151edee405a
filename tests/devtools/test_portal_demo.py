import re

import pytest
from django.core.management import call_command
from django.test import Client

from devtools.demo.suppliers import demo_seed

pytestmark = pytest.mark.django_db
LOGIN = re.compile(r"^(Supplier contact|Auditor) \((.+)\) login: \S+  user: (\S+)  password: (\S+)$", re.M)


def _signed_in(email: str, password: str) -> Client:
    client = Client()
    response = client.post("/portal/sign-in/", {"username": email, "password": password})
    assert response.status_code == 302, response.content.decode()[:400]
    return client


def test_make_run_prints_a_supplier_contact_and_an_auditor_login_that_work(capsys, tmp_path):
    demo_seed(suppliers=200, seed=3)
    call_command("seed_demo_audits", "--audits", "8")
    capsys.readouterr()

    call_command("ensure_portal_demo", "--login-file", str(tmp_path / "portal-logins.txt"))

    printed = capsys.readouterr().out
    logins = {who: (email, password) for who, _org, email, password in LOGIN.findall(printed)}
    assert set(logins) == {"Supplier contact", "Auditor"}
    assert (tmp_path / "portal-logins.txt").read_text() == printed
    contact = _signed_in(*logins["Supplier contact"])
    assert contact.get("/portal/").headers["Location"] == "/portal/inbox/"
    auditor = _signed_in(*logins["Auditor"])
    assert auditor.get("/portal/").headers["Location"] == "/portal/agency/audits/"


def test_the_demo_logins_get_fresh_passwords_each_run(capsys):
    demo_seed(suppliers=200, seed=3)
    call_command("seed_demo_audits", "--audits", "4")
    call_command("ensure_portal_demo")
    first = LOGIN.findall(capsys.readouterr().out)
    call_command("ensure_portal_demo")
    second = LOGIN.findall(capsys.readouterr().out)

    assert [row[2] for row in first] == [row[2] for row in second]
    assert [row[3] for row in first] != [row[3] for row in second]

"""The billing upload on a busy day (issue 24, item 8): its messages in Russian, its times in
the tenant's time zone, and its page showing the result when the import is done — reloading
itself while the run is queued or running, instead of asking staff to «обновите»."""

import datetime
import re

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.factories import staff_user
from billing.factories import SupplierFactory
from billing.models import ImportFile, ImportRun
from portal.scoping import tenant_scope

pytestmark = pytest.mark.django_db

ACCOUNTS = ("supplier;account_number;subscriber_type;holder_name;address\n"
            "energo;555001;individual;Петров Пётр;г. Рязань, ул. Ленина, д. 1\n"
            "energo;555003;alien;Никто;нигде\n")
NO_COLUMN = "supplier;account_number\nenergo;555001\n"


@pytest.fixture(autouse=True)
def private_storage(tmp_path, monkeypatch):
    storage = FileSystemStorage(location=tmp_path / "private")
    for name in ("upload", "rejected_lines"):
        monkeypatch.setattr(ImportFile._meta.get_field(name), "storage", storage)


@pytest.fixture
def staff(tenants, tenant_client, admin_login):
    alpha, beta = tenants
    alpha.time_zone = "Asia/Yekaterinburg"  # Moscow + 2: a time in the wrong zone shows
    alpha.save()
    clients = {}
    for tenant in tenants:
        SupplierFactory(tenant=tenant, code="energo")
        clients[tenant.slug] = tenant_client(tenant)
        admin_login(clients[tenant.slug], staff_user(tenant, group="staff"))
    return alpha, clients


def text(page):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.content.decode().replace("\xa0", " ")))


def upload(client, **files):
    return client.post(reverse("admin:billing_importrun_upload"), {"files": [
        SimpleUploadedFile(name.replace("_", "."), content.encode(), content_type="text/csv")
        for name, content in files.items()]}, follow=True)


def test_the_result_is_on_the_page_the_upload_leads_to_in_russian_and_the_tenants_time(staff):
    alpha, clients = staff
    page = upload(clients["alpha"], accounts_csv=ACCOUNTS, payments_csv=NO_COLUMN)
    shown = text(page)
    assert "обновите" not in shown
    assert "Эта страница сама покажет итоги, когда он закончится." in shown
    with tenant_scope(alpha):
        run = ImportRun.objects.get()
    finished = run.finished_at.astimezone(datetime.timezone(datetime.timedelta(hours=5)))
    assert f"Импорт завершён {finished:%d.%m.%Y %H:%M}." in shown
    assert "Строк прочитано: 2; создано: 1; обновлено: 0; без изменений: 0; отклонено: 1." in shown
    assert "Файлов, не принятых целиком: 1" in shown
    assert "нет обязательного столбца: paid_at, amount" in shown  # the file's problem, in Russian
    assert "required column" not in shown
    with timezone.override(alpha.zone):  # the breadcrumbs' and title's name of the run
        assert str(run) in shown
    assert str(run) not in shown  # read in Moscow's zone it would be two hours earlier
    assert 'http-equiv="refresh"' not in page.content.decode()  # done: no more reloading


@pytest.mark.parametrize("status, says", [(ImportRun.Status.QUEUED, "Загрузка в очереди."),
                                          (ImportRun.Status.RUNNING, "Импорт выполняется…")])
def test_a_run_not_finished_reloads_itself_and_says_so(staff, status, says):
    alpha, clients = staff
    with tenant_scope(alpha):
        run = ImportRun.objects.create(tenant=alpha, status=status)
    page = clients["alpha"].get(reverse("admin:billing_importrun_change", args=[run.pk]))
    assert says in text(page) and "Страница обновляется сама" in text(page)
    assert '<meta http-equiv="refresh" content="3">' in page.content.decode()


def test_a_failed_run_says_what_to_do_in_russian(staff, monkeypatch):
    from billing import services

    alpha, clients = staff

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "import_files", broken)
    with pytest.raises(RuntimeError):
        upload(clients["alpha"], accounts_csv=ACCOUNTS)
    with tenant_scope(alpha):
        run = ImportRun.objects.get()
    shown = text(clients["alpha"].get(reverse("admin:billing_importrun_change", args=[run.pk])))
    assert "Импорт не выполнен. Загрузка прервалась из-за ошибки на сервере." in shown
    assert "загрузите файлы снова" in shown


def test_staff_of_another_tenant_find_nothing_of_it(staff):
    alpha, clients = staff
    upload(clients["alpha"], accounts_csv=ACCOUNTS)
    with tenant_scope(alpha):
        run = ImportRun.objects.get()
    assert clients["beta"].get(reverse("admin:billing_importrun_change", args=[run.pk])).status_code in (302, 404)
    assert "Петров" not in text(clients["beta"].get(reverse("admin:billing_importrun_changelist")))

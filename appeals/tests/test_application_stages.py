"""A grid-connection application's stages (issue 24, item 6): подана → принята → договор →
технические условия → исполнена. Staff move them in the admin, forward to any later stage and
back by one stage only (to undo a mistake, never back to «подана»); each move is kept with who
made it and when, and the applicant is told (e-mail, else SMS). The applicant's home at a tenant
without personal accounts lists the applications with their stages; the page of one shows them
as an ordered list with the current stage marked."""

import re

import pytest
from django.urls import reverse

from accounts.factories import UserFactory
from appeals.applications import services as applications
from appeals.factories import appeals_staff, grid_application
from appeals.models import Appeal, ApplicationStageChange
from portal.scoping import tenant_scope
from portal.testing import text_of

pytestmark = pytest.mark.django_db
Stage = Appeal.Stage


def move(appeal, stage, staff):
    with tenant_scope(appeal.tenant):
        return applications.application_stage_move(appeal, stage, by=staff)


def history(appeal):
    with tenant_scope(appeal.tenant):
        return [(change.stage, change.moved_by) for change in ApplicationStageChange.objects.filter(appeal=appeal)]


@pytest.fixture
def sent(tenants):
    alpha, _beta = tenants
    author = UserFactory(tenant=alpha, email="applicant@alpha.example", first_name="Анна", last_name="Белова")
    staff = appeals_staff(alpha)
    return grid_application(alpha, author), author, staff


def test_a_sent_application_is_submitted_by_its_author(sent):
    appeal, author, _staff = sent
    assert appeal.stage == Stage.SUBMITTED
    assert history(appeal) == [(Stage.SUBMITTED, author)]


def test_staff_move_forward_even_over_stages_and_each_move_is_kept(sent):
    appeal, author, staff = sent
    appeal = move(appeal, Stage.ACCEPTED, staff)
    appeal = move(appeal, Stage.CONDITIONS, staff)  # the contract and the conditions together
    assert appeal.stage == Stage.CONDITIONS
    assert history(appeal) == [(Stage.SUBMITTED, author), (Stage.ACCEPTED, staff), (Stage.CONDITIONS, staff)]
    with tenant_scope(appeal.tenant):
        moved_at = [change.moved_at for change in ApplicationStageChange.objects.filter(appeal=appeal)]
    assert moved_at == sorted(moved_at)


def test_back_by_one_stage_only_and_never_to_submitted(sent):
    appeal, _author, staff = sent
    appeal = move(appeal, Stage.CONTRACT, staff)
    with pytest.raises(applications.ApplicationRefused, match="только на один"):
        move(appeal, Stage.SUBMITTED, staff)
    appeal = move(appeal, Stage.ACCEPTED, staff)  # a mistaken move undone
    assert appeal.stage == Stage.ACCEPTED
    with pytest.raises(applications.ApplicationRefused, match="не на «подана»"):
        move(appeal, Stage.SUBMITTED, staff)
    assert move(appeal, Stage.ACCEPTED, staff).stage == Stage.ACCEPTED  # the same stage: nothing happens
    assert [stage for stage, _by in history(appeal)] == [Stage.SUBMITTED, Stage.CONTRACT, Stage.ACCEPTED]


def test_drafts_and_other_kinds_have_no_stage(sent, tenants):
    appeal, author, staff = sent
    with tenant_scope(appeal.tenant):
        other = Appeal.objects.create(tenant=appeal.tenant, author=author, kind=Appeal.Kind.APPEAL)
    with pytest.raises(applications.ApplicationRefused, match="только у заявок"):
        move(other, Stage.ACCEPTED, staff)


def test_the_applicant_is_told_by_e_mail_else_sms_with_a_link(sent, tenants, outbox, django_capture_on_commit_callbacks):
    appeal, _author, staff = sent
    with django_capture_on_commit_callbacks(execute=True):
        move(appeal, Stage.CONTRACT, staff)
    [mail] = outbox.messages(to="applicant@alpha.example")
    assert "этап «договор»" in mail.text
    assert f"/appeals/{appeal.public_id}/" in mail.text

    alpha = tenants[0]
    by_phone = UserFactory(tenant=alpha, email="", phone="+79001112233", username="+79001112233")
    second = grid_application(alpha, by_phone)
    with django_capture_on_commit_callbacks(execute=True):
        move(second, Stage.ACCEPTED, staff)
    [sms] = outbox.messages(to="+79001112233")
    assert f"заявка № {second.number} — этап «принята»" in sms.text


def test_the_page_shows_the_stages_as_an_ordered_list_with_the_current_one_marked(sent, tenant_client):
    appeal, author, staff = sent
    appeal = move(appeal, Stage.CONTRACT, staff)
    client = tenant_client(appeal.tenant)
    client.force_login(author)
    html = client.get(f"/appeals/{appeal.public_id}/").content.decode()
    steps = re.search(r'<ol class="stages">(.*?)</ol>', html, re.S).group(1)
    names = re.findall(r'<span class="stages__name">(.*?)</span>', steps)
    assert names == ["Подана", "Принята", "Договор", "Технические условия", "Исполнена"]
    [current] = re.findall(r'<li[^>]*aria-current="step"[^>]*>\s*<span class="stages__name">(.*?)<', steps)
    assert current == "Договор"
    # The move is news: the menu counts it until the page is opened (it was, just now).
    with tenant_scope(appeal.tenant):
        assert Appeal.objects.get(pk=appeal.pk).unread_by_author is False


def test_another_applicant_neither_sees_nor_finds_it(sent, tenant_client, tenants):
    appeal, _author, _staff = sent
    stranger = UserFactory(tenant=appeal.tenant)
    client = tenant_client(appeal.tenant)
    client.force_login(stranger)
    assert client.get(f"/appeals/{appeal.public_id}/").status_code == 404
    assert f"№ {appeal.number}" not in text_of(client.get("/applications/"))


def test_staff_move_the_stage_in_the_admin_and_see_its_history(sent, tenant_client, admin_login, outbox):
    appeal, author, staff = sent
    client = tenant_client(appeal.tenant)
    admin_login(client, staff)
    change_url = reverse("admin:appeals_appeal_change", args=[appeal.pk])
    page = client.get(change_url)
    assert "История этапов" in text_of(page)
    form = {"status": appeal.status, "assignee": "", "stage": Stage.ACCEPTED,
            "stage_changes-TOTAL_FORMS": "1", "stage_changes-INITIAL_FORMS": "1",
            "stage_changes-MIN_NUM_FORMS": "0", "stage_changes-MAX_NUM_FORMS": "1000"}
    answer = client.post(change_url, form, follow=True)
    assert "Заявитель получит сообщение о новом этапе: «принята»" in text_of(answer)
    with tenant_scope(appeal.tenant):
        assert Appeal.objects.get(pk=appeal.pk).stage == Stage.ACCEPTED
    assert history(appeal)[-1] == (Stage.ACCEPTED, staff)
    assert outbox.messages(to=author.email)
    # Back to «подана» is not offered and, posted anyway, refused on the page.
    refused = client.post(change_url, {**form, "stage": Stage.SUBMITTED})
    assert refused.status_code == 200 and "только на один" in text_of(refused)
    with tenant_scope(appeal.tenant):
        assert Appeal.objects.get(pk=appeal.pk).stage == Stage.ACCEPTED


def test_rosseti_home_is_the_applicants_and_offers_no_account(demo_tenants, tenant_client):
    rosseti = demo_tenants["rosseti"]
    author = UserFactory(tenant=rosseti)
    appeal = grid_application(rosseti, author, stage=Stage.ACCEPTED, staff=appeals_staff(rosseti, "clerk"))
    client = tenant_client(rosseti)
    client.force_login(author)
    home = client.get("/overview/")
    text = text_of(home)
    assert "Мои заявки" in text and "Подключите лицевой счёт" not in text
    assert reverse("billing:link") not in home.content.decode()
    assert text.index("Новая заявка") < text.index(f"№ {appeal.number}")
    assert re.search(r"Этап: <strong[^>]*>принята</strong> <span[^>]*>\(2 из 5\)", text)
    assert client.get(reverse("billing:link")).status_code == 404
    # Tenants with accounts keep their overview.
    gaz = UserFactory(tenant=demo_tenants["gaz"])
    gaz_client = tenant_client(demo_tenants["gaz"])
    gaz_client.force_login(gaz)
    assert "Мои заявки" not in text_of(gaz_client.get("/overview/"))

"""Appeals and applications are numbered per tenant (issue 22, part 3): the number a customer
sees was the table's global id, so each tenant's customers learned how many appeals all
tenants received. Now each tenant counts from 1 (``AppealCounter``), numbers stay unique
when appeals are sent at once, and URLs carry the public id, never the number."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

from accounts.factories import UserFactory
from appeals import demo, services
from appeals.applications import services as applications
from appeals.models import Appeal, AppealCounter, Topic
from portal.factories import TenantFactory
from portal.scoping import scopes_disabled, tenant_scope


def appeal_of(tenant, author, text="Вопрос"):
    with tenant_scope(tenant):
        return services.appeal_create(tenant=tenant, author=author, text=text)


@pytest.mark.django_db
def test_each_tenant_numbers_its_own_appeals_from_one(tenants, tenant_client):
    alpha, beta = tenants
    demo.seed([alpha, beta])
    author, stranger = UserFactory(tenant=alpha), UserFactory(tenant=beta)
    for _ in range(3):
        appeal_of(beta, stranger)  # the other tenant's appeals come first and in between

    client = tenant_client(alpha)
    client.force_login(author)
    with scopes_disabled():
        topic = Topic.objects.get(tenant=alpha, name="Общие вопросы")
    response = client.post("/appeals/new/", {"topic": topic.pk, "text": "Первое обращение"}, follow=True)
    appeal_of(beta, stranger)
    second = appeal_of(alpha, author)

    with scopes_disabled():
        first = Appeal.objects.get(tenant=alpha, author=author, number=1)
    assert response.redirect_chain == [(f"/appeals/{first.public_id}/", 302)]  # the public id, not a number
    assert "Обращение № 1 отправлено." in response.content.decode()
    assert second.number == 2
    page = client.get("/appeals/").content.decode()
    assert "Обращение № 1" in page and "Обращение № 2" in page
    with scopes_disabled():
        assert sorted(Appeal.objects.filter(tenant=beta).values_list("number", flat=True)) == [1, 2, 3, 4]
        assert {(counter.tenant_id, counter.last_number) for counter in AppealCounter.objects.all()} == {
            (alpha.pk, 2), (beta.pk, 4)}


@pytest.mark.django_db
def test_applications_and_support_questions_share_the_tenants_sequence(tenants):
    alpha, beta = tenants
    demo.seed([alpha, beta])
    with tenant_scope(alpha):
        policy = alpha.appeals_policy
        policy.contract_applications = True
        policy.save()
    author = UserFactory(tenant=alpha)
    appeal_of(beta, UserFactory(tenant=beta))
    with tenant_scope(alpha):
        draft = applications.contract_draft_save(tenant=alpha, author=author, subscriber_type="individual",
                                                 objects=[("г. Рязань, ул. Садовая, 1", "жилой дом")])
        question = services.appeal_create(tenant=alpha, author=None, kind=Appeal.Kind.SUPPORT, text="Вопрос",
                                          contact_email="guest@example.com")
    assert (draft.number, question.number) == (1, 2)
    assert str(draft) == "№ 1 · заявка на заключение договора"


@pytest.mark.django_db
def test_a_number_taken_by_a_rolled_back_appeal_is_given_again(tenants):
    alpha, _beta = tenants
    author = UserFactory(tenant=alpha)
    with pytest.raises(RuntimeError), transaction.atomic(), tenant_scope(alpha):
        services.appeal_create(tenant=alpha, author=author, text="Не сохранится")
        raise RuntimeError
    assert appeal_of(alpha, author).number == 1


def send_at_once(tenant, authors, hold=0.3):
    """Each author sends an appeal from a thread of their own, all starting together, each
    in its transaction (as a request is), held open a moment after the appeal is written so
    that the transactions overlap. Returns what each thread ended with."""
    start = threading.Barrier(len(authors))
    results = []

    def send(author):
        try:
            start.wait(10)
            with transaction.atomic(), tenant_scope(tenant):
                appeal = services.appeal_create(tenant=tenant, author=author, text="Одновременно")
                time.sleep(hold)
            results.append(appeal.number)
        except Exception as error:  # noqa: BLE001 - recorded; the assertion shows it
            results.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(author,)) for author in authors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("counted_before", [False, True], ids=["first-appeals", "counter-exists"])
def test_appeals_sent_at_once_get_one_number_each(counted_before):
    """Real concurrent transactions on the database: the tenant's first appeals (the
    counter's row made by one of them, the others waiting for it) and later ones."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite writes one transaction at a time)")
    tenant = TenantFactory(slug="concurrent")
    authors = [UserFactory(tenant=tenant) for _ in range(6)]
    already = 0
    if counted_before:
        appeal_of(tenant, authors[0])
        already = 1

    results = send_at_once(tenant, authors)

    assert sorted(results, key=str) == list(range(already + 1, already + len(authors) + 1)), results
    with scopes_disabled():
        assert AppealCounter.objects.get(tenant=tenant).last_number == already + len(authors)


@pytest.mark.django_db(transaction=True)
def test_the_migration_numbers_existing_appeals_per_tenant_in_the_order_they_came():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([("appeals", "0001_initial")])
    try:
        old = MigrationExecutor(connection).loader.project_state([("appeals", "0001_initial")]).apps
        Tenant, OldAppeal = old.get_model("portal", "Tenant"), old.get_model("appeals", "Appeal")
        alpha, beta = TenantFactory(slug="alpha"), TenantFactory(slug="beta")
        for tenant_id in (beta.pk, alpha.pk, alpha.pk, beta.pk, alpha.pk):
            OldAppeal.objects.create(tenant=Tenant.objects.get(pk=tenant_id))
    finally:
        MigrationExecutor(connection).migrate(latest)

    with scopes_disabled():
        numbered = list(Appeal.objects.order_by("pk").values_list("tenant__slug", "number"))
        assert numbered == [("beta", 1), ("alpha", 1), ("alpha", 2), ("beta", 2), ("alpha", 3)]
        assert {(counter.tenant.slug, counter.last_number) for counter in AppealCounter.objects.all()} == {
            ("alpha", 3), ("beta", 2)}
    author = UserFactory(tenant=alpha)
    assert appeal_of(alpha, author).number == 4  # the counter goes on from the renumbered ones


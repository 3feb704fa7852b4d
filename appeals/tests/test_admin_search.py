"""Staff on a busy day (issue 24, item 8): an appeal found in the admin by the customer's
surname, phone (typed any way), e-mail or words of its thread, in a fixed number of queries;
staff of another tenant find nothing of it."""

import re

import pytest
from django.urls import reverse

from accounts.factories import UserFactory
from appeals import services
from appeals.factories import appeals_staff
from appeals.models import Appeal
from portal.scoping import tenant_scope

pytestmark = pytest.mark.django_db
QUEUE = "/admin/appeals/appeal/"


def appeal_by(tenant, author, text, **fields):
    with tenant_scope(tenant):
        return services.appeal_create(tenant=tenant, author=author, text=text, **fields)


@pytest.fixture
def queue(tenants, tenant_client, admin_login):
    alpha, beta = tenants
    made = {}
    for tenant in tenants:
        belova = UserFactory(tenant=tenant, last_name="Белова", first_name="Анна", email=f"anna.b@{tenant.slug}.example",
                             phone="+79001112233")
        smirnov = UserFactory(tenant=tenant, last_name="Смирнов", email=f"smirnov@{tenant.slug}.example", phone="")
        made[tenant.slug] = {
            "belova": appeal_by(tenant, belova, "Почему такой большой счёт за газ в ноябре?"),
            "smirnov": appeal_by(tenant, smirnov, "Прошу проверить прибор учёта, пломба сорвана."),
            "visitor": appeal_by(tenant, None, "Не приходит код на телефон.", kind=Appeal.Kind.SUPPORT,
                                 contact_name="Олег Кузнецов", contact_phone="+79005554433"),
        }
        with tenant_scope(tenant):  # a second message with the word: still one row
            services.appeal_reply(made[tenant.slug]["belova"], user=belova, text="Счёт пришёл опять большой.")
    clients = {}
    for tenant in tenants:
        clients[tenant.slug] = tenant_client(tenant)
        admin_login(clients[tenant.slug], appeals_staff(tenant))
    return made, clients


def found(client, term):
    page = client.get(QUEUE, {"q": term})
    assert page.status_code == 200
    return sorted(int(number) for number in re.findall(r">№ (\d+)</a>", page.content.decode()))


@pytest.mark.parametrize("term, who", [
    ("Белова", ["belova"]), ("белов", ["belova"]), ("anna.b@alpha", ["belova"]), ("SMIRNOV@", ["smirnov"]),
    ("8 (900) 111-22-33", ["belova"]), ("+7 900 111 22 33", ["belova"]), ("9005554433", ["visitor"]),
    ("кузнецов", ["visitor"]), ("большой счёт", ["belova"]), ("пломба", ["smirnov"]),
    ("Белова пломба", []), ("газ", ["belova"]),
])
def test_an_appeal_is_found_by_the_customers_surname_phone_e_mail_or_words(queue, term, who):
    made, clients = queue
    assert found(clients["alpha"], term) == sorted(made["alpha"][name].number for name in who)


def test_by_number_too(queue):
    made, clients = queue
    number = made["alpha"]["smirnov"].number
    assert found(clients["alpha"], f"№ {number}") == [number]


def test_staff_of_another_tenant_find_nothing_of_it(queue):
    made, clients = queue
    # beta has a Белова too, with beta's own appeal; alpha's e-mail and words find nothing there.
    assert found(clients["beta"], "anna.b@alpha") == []
    assert found(clients["beta"], "Белова") == [made["beta"]["belova"].number]
    assert made["beta"]["belova"].pk != made["alpha"]["belova"].pk


def test_the_search_costs_the_same_few_queries_however_much_matches(queue, tenants, django_assert_max_num_queries):
    """14: the session's tenant, user and TOTP device, permissions, the filters' topics and
    assignees, two counts, the list's one query, the menu's checks. Measured with 1 and 21
    appeals found, each with two matching messages."""
    made, clients = queue
    alpha = tenants[0]
    belova = made["alpha"]["belova"].author
    with django_assert_max_num_queries(14) as one:
        assert len(found(clients["alpha"], "пломба")) == 1
    for index in range(20):
        appeal = appeal_by(alpha, belova, f"Большой счёт № {index}")
        with tenant_scope(alpha):
            services.appeal_reply(appeal, user=belova, text="И ещё один большой счёт.")
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(found(clients["alpha"], "большой счёт")) == 21
    assert reverse("admin:appeals_appeal_changelist") == QUEUE

"""Staff in the admin (issue 10, item 6): a reading received by phone is entered on
«Внести показание» through the same rules as the consumer's page (source staff, the staff
member recorded); another tenant's meter is out of reach; billing's readings stay read-only;
staff keep their tenant's reading windows."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from accounts.factories import UserFactory, platform_superuser, staff_user
from audit.models import AuditEntry
from billing.factories import SupplierFactory, link
from billing.models import Account
from meters.factories import make_meter
from meters import services
from meters.models import Meter, Reading, ReadingWindow
from meters.selectors import add_months
from portal.scoping import scopes_disabled, tenant_scope


def monthly_history(months=6):
    """Readings on the 1st of each of the last ``months`` months: 100, 110, 120… (10 a month)."""
    this_month = datetime.date.today().replace(day=1)
    return [(add_months(this_month, -months + index), 100 + 10 * index) for index in range(months)]


@pytest.fixture
def world(tenants, tenant_client, admin_login):
    """A meter at alpha and one at beta (last reading 150), and alpha's staff in alpha's admin."""
    alpha, beta = tenants
    meters = {}
    for tenant in (alpha, beta):
        supplier = SupplierFactory(tenant=tenant, code="energo")
        with scopes_disabled():
            account = Account.objects.create(tenant=tenant, supplier=supplier, number=f"7{tenant.pk}0001",
                                             subscriber_type="individual", holder_name="Иванов Иван Иванович")
        meters[tenant.slug] = make_meter(account, serial=f"E-{tenant.slug}", service="electricity", digits=6,
                                         history=monthly_history())
    staff = staff_user(alpha)
    client = tenant_client(alpha)
    admin_login(client, staff)
    return alpha, beta, client, staff, meters


def entry_url(meter_or_pk):
    return reverse("admin:meters_meter_reading", args=[getattr(meter_or_pk, "pk", meter_or_pk)])


def portal_readings(meter):
    with scopes_disabled():
        return list(Reading.objects.filter(meter=meter, submitted_at__isnull=False).order_by("pk"))


def test_staff_enter_a_reading_received_by_phone(world):
    alpha, _beta, client, staff, meters = world
    meter = meters["alpha"]
    page = client.get(entry_url(meter))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Внести показание" in text and "E-alpha" in text and "Последнее: 150" in text
    assert 'name="zone_1"' in text and 'name="taken_on"' in text

    response = client.post(entry_url(meter), {"zone_1": "155", "taken_on": ""})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:meters_reading_changelist") + f"?meter__id__exact={meter.pk}"
    [reading] = portal_readings(meter)
    assert (reading.value, reading.source, reading.status) == (Decimal("155"), "staff", "submitted")
    assert reading.submitted_by == staff and reading.taken_on == alpha.today()
    assert reading.period == alpha.today().replace(day=1)
    listing = client.get(response["Location"]).content.decode()
    assert "Показание прибора № E-alpha внесено: 155." in listing and "сотрудник" in listing
    with scopes_disabled():
        assert LogEntry.objects.filter(user=staff, object_id=str(reading.pk), action_flag=1).exists()


def test_a_two_zone_meter_and_a_day_in_the_past(world):
    alpha, _beta, client, staff, meters = world
    with scopes_disabled():
        meter = make_meter(meters["alpha"].account, serial="E-two", service="electricity", zones=2, decimals=1, digits=6,
                           history=monthly_history())
    yesterday = alpha.today() - datetime.timedelta(days=1)
    page = client.get(entry_url(meter)).content.decode()
    assert "Зона 1" in page and "Зона 2" in page
    response = client.post(entry_url(meter), {"zone_1": "151,5", "zone_2": "152", "taken_on": yesterday.isoformat()})
    assert response.status_code == 302
    assert [(r.zone, r.value, r.taken_on) for r in portal_readings(meter)] == [
        (1, Decimal("151.5"), yesterday), (2, Decimal("152"), yesterday)]


def test_the_rules_refuse_with_their_message_and_nothing_is_saved(world):
    alpha, _beta, client, _staff, meters = world
    meter = meters["alpha"]
    page = client.post(entry_url(meter), {"zone_1": "15a"})
    assert page.status_code == 200 and "Введите число, например 12345 или 12345,6." in page.content.decode()
    assert 'value="15a"' in page.content.decode()  # what was typed stays to be corrected
    page = client.post(entry_url(meter), {"zone_1": "1234567"}).content.decode()
    assert "У прибора 6 разрядов до запятой, а введено больше." in page
    tomorrow = alpha.today() + datetime.timedelta(days=1)
    page = client.post(entry_url(meter), {"zone_1": "155", "taken_on": tomorrow.isoformat()}).content.decode()
    assert "Дата показаний не может быть в будущем." in page
    page = client.post(entry_url(meter), {"zone_1": "155", "taken_on": "32.13.2026"}).content.decode()
    assert "Введите правильную дату." in page
    assert portal_readings(meter) == []


def test_a_question_is_confirmed_with_the_box(world):
    _alpha, _beta, client, _staff, meters = world
    meter = meters["alpha"]
    page = client.post(entry_url(meter), {"zone_1": "120"}).content.decode()
    assert "Значение меньше предыдущего (150 на" in page and "Счётчик заменён или прошёл через ноль?" in page
    assert "Всё правильно?" in page and 'name="confirm_lower"' in page and "Да, всё правильно" in page
    assert 'name="confirm_jump"' not in page
    assert portal_readings(meter) == []
    response = client.post(entry_url(meter), {"zone_1": "120", "confirm_lower": "on"})
    assert response.status_code == 302
    [reading] = portal_readings(meter)
    assert reading.value == Decimal("120") and reading.confirmed_lower and not reading.confirmed_jump


def test_another_tenants_meter_is_out_of_reach(world):
    _alpha, _beta, client, _staff, meters = world
    theirs = meters["beta"]
    with scopes_disabled():
        missing = Meter.objects.order_by("-pk").first().pk + 1000
    for pk in (theirs.pk, missing, "x"):
        assert client.get(entry_url(pk)).status_code == 404
        assert client.post(entry_url(pk), {"zone_1": "155"}).status_code == 404
    assert portal_readings(theirs) == []


def test_the_meters_page_and_list_link_the_entry(world):
    _alpha, _beta, client, _staff, meters = world
    meter = meters["alpha"]
    change = client.get(reverse("admin:meters_meter_change", args=[meter.pk])).content.decode()
    assert entry_url(meter) in change and "Внести показание" in change
    listing = client.get(reverse("admin:meters_meter_changelist")).content.decode()
    assert entry_url(meter) in listing


def test_staff_without_the_permission_see_no_entry(world, tenant_client, admin_login):
    alpha, _beta, _client, _staff, meters = world
    viewer = staff_user(alpha, "viewer", permissions=["meters.view_meter", "meters.view_reading"])
    client = tenant_client(alpha)
    admin_login(client, viewer)
    meter = meters["alpha"]
    assert entry_url(meter) not in client.get(reverse("admin:meters_meter_change", args=[meter.pk])).content.decode()
    assert client.get(entry_url(meter)).status_code == 403
    assert client.post(entry_url(meter), {"zone_1": "155"}).status_code == 403
    assert portal_readings(meter) == []


def test_billings_readings_stay_read_only_for_staff(world):
    alpha, _beta, client, _staff, meters = world
    with scopes_disabled():
        reading = Reading.objects.filter(meter=meters["alpha"]).first()
    assert client.get(reverse("admin:meters_reading_add")).status_code == 403
    assert client.post(reverse("admin:meters_reading_change", args=[reading.pk]), {"value": "1"}).status_code == 403
    assert client.post(reverse("admin:meters_reading_delete", args=[reading.pk]), {"post": "yes"}).status_code == 403
    listing = client.get(reverse("admin:meters_reading_changelist") + "?status__exact=submitted&source__exact=staff")
    assert listing.status_code == 200


def test_the_readings_list_filters_by_status_and_source(world):
    alpha, _beta, client, _staff, meters = world
    meter = meters["alpha"]
    client.post(entry_url(meter), {"zone_1": "155"})
    listing = client.get(reverse("admin:meters_reading_changelist"), {"status__exact": "submitted"})
    assert [reading.value for reading in listing.context["cl"].result_list] == [Decimal("155")]
    listing = client.get(reverse("admin:meters_reading_changelist"), {"source__exact": "amr"})
    assert {reading.source for reading in listing.context["cl"].result_list} == {"amr"}


# --- Reading windows ------------------------------------------------------------------------


def test_staff_keep_their_tenants_reading_windows(world):
    alpha, beta, client, _staff, _meters = world
    with scopes_disabled():
        ours = SupplierFactory(tenant=alpha, code="gas")
        theirs = SupplierFactory(tenant=beta, code="gas")
        ReadingWindow.objects.create(tenant=beta, first_day=1, last_day=2)
    add = client.get(reverse("admin:meters_readingwindow_add"))
    assert add.status_code == 200
    choices = add.context["adminform"].form.fields["supplier"].queryset
    with scopes_disabled():
        assert {supplier.tenant_id for supplier in choices} == {alpha.pk} and ours in choices
    response = client.post(reverse("admin:meters_readingwindow_add"), {
        "supplier": theirs.pk, "subscriber_type": "", "first_day": "20", "last_day": "25"})
    assert response.status_code == 200  # not a choice
    response = client.post(reverse("admin:meters_readingwindow_add"), {
        "supplier": ours.pk, "subscriber_type": "individual", "first_day": "20", "last_day": "25",
        "strict": "on"})
    assert response.status_code == 302
    response = client.post(reverse("admin:meters_readingwindow_add"), {
        "supplier": "", "subscriber_type": "", "first_day": "26", "last_day": "25"})
    assert response.status_code == 200
    with scopes_disabled():
        window = ReadingWindow.objects.get(tenant=alpha)
    assert (window.supplier, window.subscriber_type, window.first_day, window.last_day, window.strict) == (
        ours, "individual", 20, 25, True)
    listing = client.get(reverse("admin:meters_readingwindow_changelist"))
    assert list(listing.context["cl"].result_list) == [window]
    response = client.post(reverse("admin:meters_readingwindow_change", args=[window.pk]), {
        "supplier": ours.pk, "subscriber_type": "individual", "first_day": "18", "last_day": "25"})
    assert response.status_code == 302
    window.refresh_from_db()
    assert (window.first_day, window.strict) == (18, False)
    with scopes_disabled():
        beta_window = ReadingWindow.objects.get(tenant=beta)
    assert client.get(reverse("admin:meters_readingwindow_change", args=[beta_window.pk])).status_code == 302


def test_a_platform_superusers_window_takes_a_supplier_of_its_own_tenant_only(world, tenant_client, admin_login):
    alpha, beta, _client, _staff, _meters = world
    with scopes_disabled():
        theirs = SupplierFactory(tenant=beta, code="gas")
        superuser = platform_superuser(email="root@localhost")
    client = tenant_client(None)
    admin_login(client, superuser)
    fields = {"tenant": alpha.pk, "subscriber_type": "", "first_day": "20", "last_day": "25"}
    response = client.post(reverse("admin:meters_readingwindow_add"), {**fields, "supplier": theirs.pk})
    assert response.status_code == 200 and "Это поставщик другой организации." in response.content.decode()
    assert client.post(reverse("admin:meters_readingwindow_add"), {**fields, "supplier": ""}).status_code == 302
    with scopes_disabled():
        assert ReadingWindow.objects.filter(tenant=alpha, supplier=None).exists()


def test_choosing_a_held_reading_puts_the_displaced_one_on_the_trail(world):
    """Staff send a stranger's held reading to billing instead of the holder's: both changes —
    the chosen one submitted, the displaced one held for it — are entries of the trail."""
    alpha, _beta, client, staff, meters = world
    meter = meters["alpha"]
    readings = {}
    for value, access in (("160", "full"), ("161", "basic")):
        user = UserFactory(tenant=alpha)
        link(user, meter.account, access=access)
        with tenant_scope(alpha):
            submission = services.readings_submit(account=meter.account, meter=meter, values={1: value}, user=user,
                                                  access=access, confirmed={"jump", "lower"})
        assert submission.saved, submission.problems
        readings[access] = submission.readings[0]
    holders, strangers = readings["full"], readings["basic"]
    assert strangers.status == Reading.Status.HELD
    client.post(reverse("admin:meters_reading_changelist"), {"action": "choose", "_selected_action": [strangers.pk]})
    with tenant_scope(alpha):
        holders.refresh_from_db()
        assert (holders.status, holders.held_for_id) == (Reading.Status.HELD, strangers.pk)
        changed = {entry.object_pk: entry for entry in AuditEntry.objects.filter(content_type__model="reading")}
    assert {str(holders.pk), str(strangers.pk)} <= set(changed)
    assert changed[str(holders.pk)].actor == staff and "status" in changed[str(holders.pk)].changes

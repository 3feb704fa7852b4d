import pytest
from django.core.exceptions import ValidationError

from billing.links import control_questions
from billing.models import Supplier
from portal import demo
from portal.models import ConsentDocument, Tenant, TenantPolicy, contrast_with_white
from portal.scoping import tenant_scope


def policy_for(**fields):
    """An unsaved policy with the platform defaults, changed by ``fields``."""
    return TenantPolicy(tenant=Tenant(slug="test", name="T", short_name="T", kind="gas"), **fields)


def errors_of(policy):
    with pytest.raises(ValidationError) as caught:
        policy.clean()
    return caught.value.message_dict


def test_the_default_policy_is_valid():
    policy_for().clean()


@pytest.mark.parametrize("definition", demo.TENANTS, ids=lambda d: d["slug"])
def test_every_demo_policy_is_valid(definition):
    policy_for(**definition["policy"]).clean()


@pytest.mark.parametrize(
    ("fields", "field_in_error"),
    [
        ({"login_kind": "email", "email_field": "optional"}, "email_field"),
        ({"login_kind": "phone_or_email", "email_field": "required"}, "login_kind"),
        ({"login_kind": "contract", "subscriber_legal": False, "email_field": "off",
          "account_linking": "by_registration"}, "subscriber_legal"),
        ({"login_kind": "contract", "subscriber_legal": True, "email_field": "off"}, "account_linking"),
        ({"account_linking": "by_registration"}, "account_linking"),
        ({"subscriber_individual": False, "subscriber_legal": False}, "subscriber_individual"),
        ({"password_min_length": 12, "password_max_length": 10}, "password_max_length"),
        ({"phone_confirmation": "code"}, "phone_confirmation"),  # no phone is asked
        ({"phone_confirmation": "none", "email_confirmation": "none"}, "email_confirmation"),
        ({"password_at_signup": False}, "password_at_signup"),  # without an SMS code
        ({"resend_cooldown_seconds": 600, "code_ttl_seconds": 600}, "resend_cooldown_seconds"),
        ({"code_ttl_seconds": 7200, "activation_window_hours": 1}, "code_ttl_seconds"),
        ({"login_before_activation": True, "phone_field": "required", "phone_confirmation": "code",
          "email_confirmation": "none"}, "login_before_activation"),
        ({"extended_access": True}, "extended_access"),
        ({"extended_access": False, "question_pin": True}, "extended_access"),
    ],
)
def test_contradictory_policies_are_refused(fields, field_in_error):
    assert field_in_error in errors_of(policy_for(**fields))


def test_derived_facts():
    mygaz = policy_for(**next(d for d in demo.TENANTS if d["slug"] == "mygaz")["policy"])
    assert control_questions(mygaz) == ["meter_serial", "last_charge", "pin"]
    assert mygaz.subscriber_types == ["individual"]
    rosseti = policy_for(**next(d for d in demo.TENANTS if d["slug"] == "rosseti")["policy"])
    assert rosseti.asks_phone and rosseti.asks_email and control_questions(rosseti) == []


@pytest.mark.parametrize(
    ("slug", "typed", "expected"),
    [
        ("gaz", "5812345678", "5812345678"),
        ("gaz", " 58 1234-5678 ", "5812345678"),
        ("mygaz", "023-185952", "23185952"),
        ("mygaz", "23185952", "23185952"),
    ],
)
def test_supplier_normalises_account_numbers(demo_tenants, slug, typed, expected):
    with tenant_scope(demo_tenants[slug]):
        assert Supplier.objects.get(code="ryazan").clean_account_number(typed) == expected


@pytest.mark.parametrize(
    ("slug", "typed"),
    [("gaz", "581234567"), ("gaz", "58123456789"), ("gaz", "58l2345678"), ("mygaz", "185952"), ("mygaz", "")],
)
def test_supplier_rejects_bad_account_numbers_with_the_hint(demo_tenants, slug, typed):
    with tenant_scope(demo_tenants[slug]):
        supplier = Supplier.objects.get(code="ryazan")
        with pytest.raises(ValidationError) as caught:
            supplier.clean_account_number(typed)
    assert caught.value.messages[0].startswith("Номер лицевого счёта указан неверно.")
    assert supplier.account_number_hint in caught.value.messages[0]


def test_supplier_pattern_must_compile(demo_tenants):
    supplier = Supplier(tenant=demo_tenants["gaz"], code="x", name="X", account_number_pattern="[0-9")
    with pytest.raises(ValidationError) as caught:
        supplier.clean()
    assert "account_number_pattern" in caught.value.message_dict


def test_marketing_consent_cannot_be_required(demo_tenants):
    document = ConsentDocument(tenant=demo_tenants["rosseti"], kind="marketing", title="x", text="x",
                               checkbox_label="x", required=True)
    with pytest.raises(ValidationError):
        document.clean()


def test_tenant_slug_cannot_change(demo_tenants):
    tenant = demo_tenants["gaz"]
    tenant.slug = "gaz2"
    with pytest.raises(ValidationError) as caught:
        tenant.full_clean()
    assert "slug" in caught.value.message_dict


def test_colours_must_be_hex(demo_tenants):
    tenant = demo_tenants["gaz"]
    tenant.primary_colour = "red;}body{display:none"
    with pytest.raises(ValidationError):
        tenant.full_clean()


def test_header_colour_must_keep_white_text_readable(demo_tenants):
    tenant = demo_tenants["gaz"]
    tenant.primary_colour = "#ffcc00"
    with pytest.raises(ValidationError) as caught:
        tenant.full_clean()
    assert "primary_colour" in caught.value.message_dict
    assert contrast_with_white("#000000") == pytest.approx(21)


def test_staff_registration_needs_the_sms_code_and_the_mailed_link(demo_tenants):
    from django.core.exceptions import ValidationError as Invalid

    policy = demo_tenants["gaz"].policy
    policy.staff_register_customers = True
    with pytest.raises(Invalid) as refused:
        policy.full_clean()
    assert "staff_register_customers" in refused.value.message_dict

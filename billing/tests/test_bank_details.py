"""A supplier's payee details (billing/bank_details.py): all or none, and each checked."""

import pytest
from django.core.exceptions import ValidationError

from billing.bank_details import with_key
from billing.factories import SupplierFactory


SBERBANK_BIC = "044525225"


SBERBANK_CORRESPONDENT = "30101810400000000225"


def payee(**details):
    """A supplier with complete payee details (``details`` replaces some), not saved."""
    valid = {
        "payee_name": "АО «Энергосбыт»", "inn": "6229001125", "kpp": "622901001",
        "settlement_account": with_key("40702810000000001234", SBERBANK_BIC[-3:]), "bic": SBERBANK_BIC,
        "correspondent_account": SBERBANK_CORRESPONDENT, "bank_name": "ПАО Сбербанк",
    }
    return SupplierFactory.build(code="energo", **{**valid, **details})


def test_a_valid_payee_passes():
    supplier = payee()
    supplier.clean()
    assert supplier.has_payee


def test_no_payee_details_at_all_pass():
    SupplierFactory.build(code="energo").clean()


@pytest.mark.parametrize("field, value, code", [
    ("settlement_account", "mistype", "account_key"),
    ("correspondent_account", "30101810400000000226", "correspondent_key"),
    ("bic", "044525226", "account_key"),
    ("bic", "04452522", "invalid_bic"),
    ("settlement_account", "4070281000000000123", "invalid_account"),
    ("inn", "62290011", "invalid_inn"),
])
def test_a_mistyped_payee_detail_fails(field, value, code):
    if value == "mistype":  # one digit of a valid account changed
        right = payee().settlement_account
        value = right[:-1] + str((int(right[-1]) + 1) % 10)
    with pytest.raises(ValidationError) as raised:
        payee(**{field: value}).clean()
    errors = raised.value.error_dict
    assert code in {error.code for problems in errors.values() for error in problems}


def test_partial_payee_details_fail():
    supplier = SupplierFactory.build(code="energo", bic=SBERBANK_BIC, correspondent_account=SBERBANK_CORRESPONDENT)
    with pytest.raises(ValidationError) as raised:
        supplier.clean()
    assert set(raised.value.error_dict) == {"payee_name", "inn", "settlement_account", "bank_name"}

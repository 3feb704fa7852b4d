"""The payment QR code of a receipt: ГОСТ Р 56042-2014, drawn by segno as inline SVG.

The payload is ``ST00012`` (format ST, version 0001, encoding 2 = UTF-8) followed by
``|Key=Value`` pairs: first the mandatory block (Name, PersonalAcc, BankName, BIC,
CorrespAcc), which must fit in 300 bytes, then the optional fields a banking app uses to
fill in a utility payment: PayeeINN, KPP, PersAcc (the personal account at the supplier),
Sum (kopecks), PaymPeriod (MMYYYY), Purpose and TechCode 02 («Коммунальные услуги»).

``|`` separates the fields and never appears inside a value: free text (names, purpose)
has it replaced by «/» and its whitespace collapsed; the structured fields are checked
against their patterns and refused (PayloadError) when wrong. A payee name too long for
the 300-byte block is shortened (the bank identifies the payee by account, BIC and INN).

segno, not qrcode (which the project already has for django-otp): no dependencies, faster,
and its SVG is a third of the size (shared/notes/billing-meters-payments.md §2). The code
has no ECI header (some banking apps refuse one); the payload says UTF-8 itself.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

import segno

HEADER = "ST00012"
SEPARATOR = "|"
MANDATORY_BLOCK_LIMIT = 300  # bytes, in the payload's encoding (UTF-8)
ENCODING = "utf-8"
TECH_CODE_UTILITIES = "02"

PERSONAL_ACC_RE = re.compile(r"[1-9]\d{4}[0-9ABCEHKMPTX]\d{14}")
BIC_RE = re.compile(r"\d{9}")
CORRESP_ACC_RE = re.compile(r"\d{20}|0")
INN_RE = re.compile(r"\d{10}|\d{12}")
KPP_RE = re.compile(r"\d{4}[\dA-Z]{2}\d{3}")
SUM_RE = re.compile(r"[1-9]\d{0,17}")
PERIOD_RE = re.compile(r"(0[1-9]|1[0-2])\d{4}")

# Lengths the standard sets for the text fields.
MAX_LENGTHS = {"Name": 160, "BankName": 45, "Purpose": 160, "PersAcc": 50}


class PayloadError(ValueError):
    """The payee's details cannot make a valid ГОСТ Р 56042 payload."""


def clean_text(value):
    """Free text as a field value: one line, no separator, no surrounding spaces."""
    return " ".join(str(value).replace(SEPARATOR, "/").split())


def _fit_bytes(text, limit):
    """``text`` cut to at most ``limit`` bytes of UTF-8 at a character boundary."""
    encoded = text.encode(ENCODING)
    if len(encoded) <= limit:
        return text
    return encoded[:max(limit, 0)].decode(ENCODING, errors="ignore").rstrip()


@dataclass(frozen=True)
class PaymentOrder:
    """What a receipt asks the bank to pay, in the standard's terms."""

    name: str  # the payee
    personal_acc: str  # the payee's settlement account
    bank_name: str
    bic: str
    corresp_acc: str
    payee_inn: str
    kpp: str
    pers_acc: str  # the payer's personal account at the supplier
    sum_kopecks: int | None  # None or 0: the payer types the sum
    paym_period: str  # MMYYYY
    purpose: str

    def fields(self):
        """The payload's (key, value) pairs in order, validated (PayloadError)."""
        personal_acc, bic, corresp_acc = self.personal_acc.strip(), self.bic.strip(), self.corresp_acc.strip()
        checks = [
            ("PersonalAcc", personal_acc, PERSONAL_ACC_RE),
            ("BIC", bic, BIC_RE),
            ("CorrespAcc", corresp_acc, CORRESP_ACC_RE),
            ("PaymPeriod", self.paym_period, PERIOD_RE),
        ]
        if self.payee_inn:
            checks.append(("PayeeINN", self.payee_inn, INN_RE))
        if self.kpp:
            checks.append(("KPP", self.kpp, KPP_RE))
        for key, value, pattern in checks:
            if not pattern.fullmatch(value):
                raise PayloadError(f"{key} is not valid: {value!r}")
        bank_name = clean_text(self.bank_name)[: MAX_LENGTHS["BankName"]]
        pers_acc = clean_text(self.pers_acc)[: MAX_LENGTHS["PersAcc"]]
        if not bank_name or not pers_acc:
            raise PayloadError("BankName and PersAcc are required")
        # The mandatory block without Name, to know how many bytes the name may take.
        rest = f"{SEPARATOR}PersonalAcc={personal_acc}{SEPARATOR}BankName={bank_name}{SEPARATOR}BIC={bic}" \
               f"{SEPARATOR}CorrespAcc={corresp_acc}"
        room = MANDATORY_BLOCK_LIMIT - len(f"{HEADER}{SEPARATOR}Name={rest}".encode(ENCODING))
        name = _fit_bytes(clean_text(self.name)[: MAX_LENGTHS["Name"]], room)
        if not name:
            raise PayloadError("Name is required")
        fields = [("Name", name), ("PersonalAcc", personal_acc), ("BankName", bank_name), ("BIC", bic),
                  ("CorrespAcc", corresp_acc)]
        if self.payee_inn:
            fields.append(("PayeeINN", self.payee_inn))
        if self.kpp:
            fields.append(("KPP", self.kpp))
        fields.append(("PersAcc", pers_acc))
        if self.sum_kopecks:
            if not SUM_RE.fullmatch(str(self.sum_kopecks)):
                raise PayloadError(f"Sum is not valid: {self.sum_kopecks!r}")
            fields.append(("Sum", str(self.sum_kopecks)))
        fields.append(("PaymPeriod", self.paym_period))
        purpose = clean_text(self.purpose)[: MAX_LENGTHS["Purpose"]]
        if purpose:
            fields.append(("Purpose", purpose))
        fields.append(("TechCode", TECH_CODE_UTILITIES))
        return fields

    def payload(self):
        return build_payload(self.fields())


MANDATORY_KEYS = ("Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc")


def build_payload(fields):
    """``ST00012|Key=Value|…`` from (key, value) pairs; the mandatory block first, ≤ 300 bytes."""
    keys = [key for key, _value in fields]
    if tuple(keys[: len(MANDATORY_KEYS)]) != MANDATORY_KEYS:
        raise PayloadError("The mandatory block must come first, in the standard's order")
    for key, value in fields:
        if SEPARATOR in value or "\n" in value or "\r" in value or "=" in key or not value:
            raise PayloadError(f"{key} has an empty value or a separator in it")
    payload = SEPARATOR.join([HEADER] + [f"{key}={value}" for key, value in fields])
    if len(mandatory_block(payload).encode(ENCODING)) > MANDATORY_BLOCK_LIMIT:
        raise PayloadError("The mandatory block is longer than 300 bytes")
    return payload


def mandatory_block(payload):
    """The header and the five mandatory fields of ``payload``, as text."""
    return SEPARATOR.join(payload.split(SEPARATOR)[: 1 + len(MANDATORY_KEYS)])


def parse_payload(payload):
    """The fields of a payload as a dict (the way a banking app reads it back)."""
    header, *pairs = payload.split(SEPARATOR)
    if header != HEADER:
        raise PayloadError(f"Unknown header {header!r}")
    fields = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or key in fields:
            raise PayloadError(f"Bad field {pair!r}")
        fields[key] = value
    return fields


def kopecks(amount):
    """A Decimal of roubles as whole kopecks (half up)."""
    return int((Decimal(amount) * 100).quantize(Decimal(1), rounding="ROUND_HALF_UP"))


def payment_order(*, supplier, account_number, period, total, purpose=""):
    """The PaymentOrder of a receipt: ``supplier``'s payee, ``total`` (Decimal roubles; none
    when nothing is owed) for ``period`` (a date) of ``account_number``. None when the
    supplier has no payee details."""
    if not supplier.has_payee:
        return None
    amount = kopecks(total) if total and total > 0 else None
    return PaymentOrder(
        name=supplier.payee_name, personal_acc=supplier.settlement_account, bank_name=supplier.bank_name,
        bic=supplier.bic, corresp_acc=supplier.correspondent_account, payee_inn=supplier.inn, kpp=supplier.kpp,
        pers_acc=account_number, sum_kopecks=amount, paym_period=f"{period:%m%Y}", purpose=purpose,
    )


def make_qr(payload):
    """The QR code of ``payload``: error correction M, byte mode in UTF-8, no ECI, never Micro QR."""
    return segno.make(payload, error="m", boost_error=False, encoding=ENCODING, eci=False, micro=False)


def qr_svg(payload, *, title=""):
    """Inline SVG (no XML declaration, no fixed size: the page sizes it) with a quiet zone of 4."""
    return make_qr(payload).svg_inline(scale=1, border=4, omitsize=True, title=title or None)

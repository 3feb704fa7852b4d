"""What the browser tests share: logging in, the demo consumer's pages, the checks every page
passes (axe, the content security policy, a 360-px fit) and the readings' and payments'
helpers. A module of helpers, not of tests (test modules do not import each other)."""

import re
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.template.defaultfilters import floatformat
from django.utils import dateformat, translation
from django_otp.oath import totp
from playwright.sync_api import expect

from accounts import demo as accounts_demo
from accounts.factories import UserFactory
from billing.models import AccountLink, Charge
from meters.models import Reading
from portal import demo
from portal.models import Tenant
from portal.scoping import scopes_disabled

LOGIN_LABEL = {"gaz": "E-mail", "mef": "E-mail", "rosseti": "E-mail", "mygaz": "Телефон или e-mail", "rgmek": "Логин"}


def newest_message(page, portal, slug, to):
    """The text of the newest message the tenant sent to ``to``, read on /dev/outbox/."""
    outbox = page.context.new_page()
    try:
        outbox.goto(portal.url(slug, "/dev/outbox/"))
        expect(outbox.get_by_role("heading", level=1)).to_have_text("Исходящие сообщения")
        heading = outbox.get_by_role("heading", name=re.compile(r"→ " + re.escape(to) + r"$"))
        return outbox.get_by_role("article").filter(has=heading).first.locator("pre").inner_text()
    finally:
        outbox.close()


def code_in(text):
    match = re.search(r"[Кк]од[^0-9\n]*?(\d{6})\b", text)
    assert match, text
    return match.group(1)


def log_in(page, portal, slug, login, password):
    page.goto(portal.url(slug, "/accounts/login/"))
    page.get_by_label(LOGIN_LABEL[slug], exact=True).fill(login)
    page.get_by_label("Пароль", exact=True).fill(password)
    page.get_by_role("button", name="Войти").click()


def expect_signed_in_as(page, login):
    expect(page.get_by_role("main")).to_contain_text(f"Вы вошли как {login}.")
    # «Выход» is in the menu, folded behind «Меню» on a phone.
    expect(page.get_by_role("navigation", name="Главное меню").locator("button", has_text="Выход")).to_have_count(1)


def open_menu(page):
    """The main menu, unfolded where a phone shows it behind «Меню» (a <details>)."""
    menu = page.get_by_role("navigation", name="Главное меню")
    fold = menu.locator("details")
    if fold.count() and not fold.evaluate("details => details.open"):
        menu.locator("summary").click()
    return menu


def close_menu(page):
    """Fold the main menu back where a phone folds it (it covers the top of the page)."""
    fold = page.get_by_role("navigation", name="Главное меню").locator("details:not(.main-nav__fold--wide)")
    if fold.count() and fold.evaluate("details => details.open"):
        fold.locator("summary").click()


def tenant(slug):
    return Tenant.objects.get(slug=slug)


def staff_log_in(page, portal, slug):
    page.goto(portal.url(slug, "/admin/"))
    page.get_by_label("Логин:").fill(accounts_demo.STAFF_USERNAME)
    page.get_by_label("Пароль:").fill(accounts_demo.STAFF_PASSWORD)
    page.get_by_label("Код из приложения:").fill(f"{totp(bytes.fromhex(accounts_demo.OTP_DEMO_KEY)):06d}")
    page.get_by_role("button", name="Войти").click()


PHONE = {"width": 360, "height": 740}


DESKTOP = {"width": 1280, "height": 900}


PASSWORD = accounts_demo.CONSUMER_PASSWORD


def new_page(browser, viewport, *, bypass_csp=False):
    context = browser.new_context(locale="ru-RU", viewport=viewport, accept_downloads=True, bypass_csp=bypass_csp)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def log_in_as_demo_consumer(page, portal, slug):
    login = consumer_login(slug)
    log_in(page, portal, slug, login, PASSWORD)
    expect_signed_in_as(page, login)
    expect(page).to_have_url(portal.url(slug, "/overview/"))
    return login


def heading(page):
    return page.get_by_role("heading", level=1)


def main(page):
    return page.get_by_role("main")


def flash(page):
    return page.get_by_role("status").first


def assert_fits(page):
    """No horizontal scroll on a phone: the page is no wider than the screen."""
    width = page.viewport_size["width"]
    if width <= PHONE["width"]:
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"{page.url}: {scroll_width}px wide at a {width}px viewport"


def consumer_login(slug):
    with scopes_disabled():
        return accounts_demo.consumer_login(tenant(slug))


def linked_accounts(slug):
    with scopes_disabled():
        links = AccountLink.objects.filter(user__username=consumer_login(slug), tenant__slug=slug)
        # In the overview's order (billing.access.user_links): the first is the current one.
        return [link.account for link in links.select_related("account__supplier").order_by("linked_at", "pk")]


AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page, *, every_impact=False):
    """axe-core's serious and critical findings on ``page`` (``every_impact``: all of them,
    the moderate «region», content outside any landmark, included)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):  # once per document (half a megabyte)
        page.add_script_tag(path=str(AXE))
    results = page.evaluate("""async (every) => {
        const results = await axe.run(document, {resultTypes: ["violations"]});
        return results.violations.filter(v => every || v.impact === "serious" || v.impact === "critical")
            .map(v => v.id + " (" + v.impact + "): " + v.nodes.map(n => n.target.join(" ")).join(", "));
    }""", every_impact)
    return results


REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  window.__policyViolation(event.violatedDirective + " blocked " + (event.blockedURI || "inline")
    + " (" + event.sourceFile + ":" + event.lineNumber + ")");
});
"""


def is_policy_complaint(text):
    return text.startswith("Refused to") or "Content Security Policy" in text or "Permissions-Policy" in text


def watch_policy(page):
    """``page``, collecting every policy complaint (console and violation events) into
    ``page.complaints``; returns it."""
    page.complaints = []
    page.on("console", lambda message: page.complaints.append(f"console: {message.text}")
            if is_policy_complaint(message.text) else None)
    page.expose_binding("__policyViolation",
                        lambda source, text: page.complaints.append(f"{source['frame'].url}: {text}"))
    page.add_init_script(REPORT_VIOLATIONS)
    return page


def assert_no_complaints(page, where):
    """``page`` (watch_policy) raised no policy complaint so far. "load" waits for every
    image, script and style sheet, the loads a policy may refuse ("networkidle" waited half a
    second more on each of ~250 pages); what a page fetches later (the captcha's refresh) is
    checked where it happens."""
    page.wait_for_load_state("load")
    page.evaluate("() => new Promise(requestAnimationFrame)")  # let pending reports arrive
    assert not page.complaints, f"{where}: {page.complaints}"


class Audit:
    """No horizontal scroll, and (on an axe_phone) axe-core's serious and critical findings,
    collected page by page and asserted at the end of the test."""

    def __init__(self, page):
        self.page, self.found = page, []

    def __call__(self, what):
        assert_fits(self.page)
        self.found.extend(f"{what} ({self.page.url}): {violation}" for violation in axe_violations(self.page))

    def assert_clean(self):
        assert not self.found, "\n".join(self.found)


def baseline(meter, zone, today):
    """The value the rules compare with: the last reading taken from the meter itself."""
    return (
        Reading.objects.filter(meter=meter, zone=zone, taken_on__lte=today)
        .exclude(source=Reading.Source.ESTIMATED).exclude(status=Reading.Status.REJECTED)
        .order_by("-taken_on", "-pk").values_list("value", flat=True).first()
    )


def typed(meter, value):
    """``value`` as the consumer types it: the meter's decimals, a decimal comma."""
    return str(value.quantize(Decimal(1).scaleb(-meter.decimals))).replace(".", ",")


def shown(meter, value, grouped=False):
    """``value`` as a page shows it: floatformat with the meter's decimals in Russian
    (the meter's page groups thousands)."""
    with translation.override("ru"):
        return floatformat(value, f"{meter.decimals}{'g' if grouped else ''}")


CONSENT_LABELS = {
    t["slug"]: {c["kind"]: c["checkbox_label"] for c in t["consents"] if c["moment"] == "signup"} for t in demo.TENANTS
}


def link_in(text, slug, path):
    match = re.search(r"https?://" + re.escape(slug) + r"\.localhost[:\d]*" + re.escape(path) + r"[\w-]+/", text)
    assert match, text
    return match.group(0)


def fill_passwords(page, password, *, first="Пароль"):
    page.get_by_label(first, exact=True).fill(password)
    page.get_by_label("Повторите пароль", exact=True).fill(password)


def tick_consents(page, slug, kinds=None):
    for kind, label in CONSENT_LABELS[slug].items():
        if kinds is None or kind in kinds:
            page.get_by_label(label).check()


def enter_code(page, code):
    page.get_by_label("Код подтверждения").fill(code)
    page.get_by_role("button", name="Подтвердить").click()


def activate_by_link(page, link, email):
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Активация личного кабинета")
    expect(page.get_by_role("main")).to_contain_text(f"Подтвердите адрес {email}")
    page.get_by_role("button", name="Активировать").click()
    expect(page.get_by_role("status")).to_contain_text("Личный кабинет активирован")


def make_user(slug, *, username, password, email="", phone="", **extra):
    """An activated customer of the tenant ``slug``, as if registered earlier."""
    return UserFactory(tenant=tenant(slug), username=username, password=password, email=email, phone=phone, **extra)


def fill_rgmek_form(page, *, contract, contact, password="secret-a1", first="Пароль"):
    page.get_by_label("ИНН").fill("6229001125")
    page.get_by_label("№ договора").fill(contract)
    fill_passwords(page, password, first=first)
    page.get_by_label("E-mail или телефон, указанные в договоре").fill(contact)


def rub(amount):
    """The overview's «1 234,56»: whitespace dropped, for comparing with page text."""
    return f"{abs(Decimal(amount)):,.2f}".replace(",", "").replace(".", ",")


def squeezed(text):
    return re.sub(r"\s+", "", text)


def month_year(day):
    with translation.override("ru"):
        return dateformat.format(day, "F Y")


def last_period_total(account):
    with scopes_disabled():
        charges = Charge.objects.filter(account=account)
        period = max(charges.values_list("period", flat=True))
        return period, sum(charges.filter(period=period).values_list("closing_balance", flat=True))

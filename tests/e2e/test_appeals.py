"""Appeals, questions to support and applications in Chromium, as people walk them:

1. mef's demo consumer writes an appeal on a 360-px phone («Обращения» → «Новое обращение»):
   a file that only claims to be a PDF is refused in Russian with the text kept, a real PDF
   goes; staff answer it in the admin (TOTP) with a file, «есть ответ»; the consumer gets
   the e-mail, sees the menu's unread badge, reads «Специалист»'s answer, downloads its file,
   and the badge is gone.
2. A visitor at gaz asks support a question from the support page (name, e-mail, captcha):
   the confirmation names the question's number, the question is under the support topic.
3. rosseti's demo consumer (activated) sends a grid-connection application: a refused zero
   power, the draft, a PDF attached, a PNG chosen and «Отправить заявку»: «новое», two files.

Every customer page is checked for horizontal scrolling at 360 px and with axe-core (serious
and critical findings; CSP bypassed to inject it); the admin's pages, on a desktop, for
Content Security Policy complaints instead. Attachments go to a temporary folder.
"""

import re

import pytest
from django.core.files.storage import FileSystemStorage
from django_otp.oath import totp
from playwright.sync_api import expect

from accounts import demo as accounts_demo
from appeals import demo as appeals_demo
from appeals.models import Appeal, Attachment
from portal.scoping import scopes_disabled

from .browser import (
    close_menu,
    open_menu,
    DESKTOP,
    PASSWORD,
    Audit,
    assert_no_complaints,
    expect_signed_in_as,
    heading,
    linked_accounts,
    log_in,
    log_in_as_demo_consumer,
    main,
    new_page,
    watch_policy,
)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
NUMBER = re.compile(r"№ (\d+)")


@pytest.fixture(autouse=True)
def _private_files_in_tmp(tmp_path, monkeypatch):
    # The field holds its storage since the model was defined, so settings.STORAGES is too
    # late: swap it on the field (the live server runs in this process).
    monkeypatch.setattr(Attachment._meta.get_field("file"), "storage",
                        FileSystemStorage(location=tmp_path / "private"))


# The captcha takes "PASSED" (the root conftest's captcha_passes).
pytestmark = pytest.mark.usefixtures("captcha_passes")


@pytest.fixture
def files(tmp_path):
    """Files as a person picks them on their disk."""
    folder = tmp_path / "picked"
    folder.mkdir()

    def make(name, content):
        path = folder / name
        path.write_bytes(content)
        return path

    return make


@pytest.fixture
def admin_desktop(browser):
    """A desktop under the site's CSP; page.complaints collects every policy complaint."""
    page = watch_policy(new_page(browser, DESKTOP))
    yield page
    page.context.close()


# What the pages look like to a person.


def menu(page):
    return page.get_by_role("navigation", name="Главное меню")


def appeals_in_menu(page):
    """«Обращения» in the menu, folded or not (a phone folds it behind «Меню»)."""
    return menu(page).get_by_role("link", name=re.compile("^Обращения"), include_hidden=True)


def flash(page):
    return main(page).locator(".messages")


def thread(page):
    return main(page).get_by_role("list", name="Переписка")


def facts(page):
    """The appeal's «term: value» list, as a dict."""
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll("main dl.appeal-facts dt")]
        .map(dt => [dt.textContent.trim(), dt.nextElementSibling.textContent.replace(/\\s+/g, " ").trim()]))""")


def number_in(text):
    return int(NUMBER.search(text).group(1))


def expect_no_badge(page):
    open_menu(page)
    expect(appeals_in_menu(page)).to_have_accessible_name("Обращения")
    expect(appeals_in_menu(page).locator(".badge")).to_have_count(0)
    close_menu(page)


def downloaded(page, link):
    with page.expect_download() as info:
        link.click()
    download = info.value
    with open(download.path(), "rb") as file:
        return download.suggested_filename, file.read()


def admin_log_in(page, portal, slug):
    page.goto(portal.url(slug, "/admin/"))
    page.get_by_label("Логин:").fill(accounts_demo.STAFF_USERNAME)
    page.get_by_label("Пароль:").fill(accounts_demo.STAFF_PASSWORD)
    page.get_by_label("Код из приложения:").fill(f"{totp(bytes.fromhex(accounts_demo.OTP_DEMO_KEY)):06d}")
    page.get_by_role("button", name="Войти").click()
    expect(page.locator("#site-name")).to_be_visible()


# 1. An appeal with a file, answered by staff with a file; the badge, the e-mail, the download.


def test_an_appeal_with_a_file_is_answered_by_staff_and_read(portal, axe_phone, admin_desktop, files, outbox):
    page = axe_phone
    audit = Audit(page)
    account = linked_accounts("mef")[0]
    login = log_in_as_demo_consumer(page, portal, "mef")
    expect_no_badge(page)

    open_menu(page)
    appeals_in_menu(page).click()
    expect(heading(page)).to_have_text("Обращения")
    expect(appeals_in_menu(page)).to_have_attribute("aria-current", "page")
    audit("appeals list, empty")
    main(page).get_by_role("link", name="Новое обращение").click()
    expect(heading(page)).to_have_text("Новое обращение")
    audit("new appeal form")

    form = main(page)
    topic, account_field, text = form.get_by_label("Тема"), form.get_by_label("Лицевой счёт"), form.get_by_label(
        "Текст обращения")
    expect(topic.locator("option")).to_have_text(
        ["— выберите тему —", *appeals_demo.MEF_TOPICS])
    topic.select_option(label="Приборы учёта")
    account_field.select_option(label=f"{account.number} · {account.supplier.name}")
    words = "Счётчик воды на кухне перестал крутиться.\nПрошу прислать мастера."
    text.fill(words)

    # A web page named scan.pdf: refused by its content, in Russian; nothing else is lost.
    form.get_by_label("Файлы").set_input_files(files("scan.pdf", HTML))
    form.get_by_role("button", name="Отправить").click()
    expect(heading(page)).to_have_text("Новое обращение")
    refusal = re.compile(r"«scan(\.pdf)?»: такой формат не принимается\. Приложите PDF, JPEG, PNG, DOCX или XLSX\.")
    expect(form.locator(".field--error").get_by_role("alert")).to_have_text(refusal)
    expect(page.locator("#error-summary")).to_contain_text(refusal)
    expect(page.locator("#error-summary")).to_be_focused()
    expect(form.get_by_label("Текст обращения")).to_have_value(words)
    expect(form.get_by_label("Тема").locator("option:checked")).to_have_text("Приборы учёта")
    expect(form.get_by_label("Лицевой счёт").locator("option:checked")).to_have_text(
        f"{account.number} · {account.supplier.name}")
    expect(form.get_by_role("status").filter(has_text="Выбранные файлы не сохранились")).to_be_visible()
    with scopes_disabled():
        assert not Appeal.objects.filter(author__username=login).exists()
    audit("new appeal form, refused file")

    form.get_by_label("Файлы").set_input_files(files("Акт поверки.pdf", PDF))
    form.get_by_role("button", name="Отправить").click()
    expect(flash(page)).to_contain_text(re.compile(r"Обращение № \d+ отправлено\."))
    number = number_in(flash(page).inner_text())
    expect(heading(page)).to_have_text(f"Обращение № {number}")
    shown = facts(page)
    assert (shown["Статус"], shown["Тема"], shown["Лицевой счёт"]) == ("Новое", "Приборы учёта", account.number)
    expect(thread(page).get_by_role("listitem").filter(has=page.locator(".thread__meta"))).to_have_count(1)
    mine = thread(page).locator(".thread__message").first
    expect(mine.locator(".thread__meta")).to_contain_text("Вы")
    expect(mine.locator(".thread__text")).to_have_text(words.replace("\n", ""))
    expect(mine.get_by_role("list", name="Файлы").get_by_role("link")).to_have_text("Акт поверки.pdf")
    audit("thread, sent")
    with scopes_disabled():
        appeal = Appeal.objects.select_related("topic").get(tenant__slug="mef", number=number)
        assert (appeal.author.username, appeal.kind, appeal.status, appeal.topic.name, appeal.account_id) == (
            login, "appeal", "new", "Приборы учёта", account.pk)
        assert list(appeal.attachments.values_list("name", "content_type")) == [("Акт поверки.pdf", "application/pdf")]

    # Staff answer in the admin, with a file: «есть ответ».
    staff = admin_desktop
    admin_log_in(staff, portal, "mef")
    assert_no_complaints(staff, "admin index")
    staff.goto(portal.url("mef", "/admin/appeals/appeal/"))
    staff.locator("#result_list").get_by_role("link", name=f"№ {number}", exact=True).click()
    assert_no_complaints(staff, "the appeal in the admin")
    staff_thread = staff.locator("#appeal-thread")
    expect(staff_thread).to_contain_text("Счётчик воды на кухне перестал крутиться.")
    expect(staff_thread.get_by_role("link", name="Акт поверки.pdf")).to_be_visible()
    answer = staff.locator("#appeal_answer_form")
    answer.get_by_label("Ответ:", exact=True).fill("Мастер придёт в четверг с 9 до 13. Памятка — во вложении.")
    answer.get_by_label("Файлы:").set_input_files(files("Памятка.pdf", PDF))
    # By name, not by its label: the change form above has its own «Статус» select, and both are
    # id="id_status", so the label «Статус после ответа:» points at the change form's one.
    answer.locator("select[name=status]").select_option(label="есть ответ")
    answer.get_by_role("button", name="Отправить ответ").click()
    expect(staff.locator(".messagelist")).to_contain_text(f"Ответ отправлен автору обращения № {number}.")
    expect(staff_thread).to_contain_text("Мастер придёт в четверг")
    expect(staff_thread.get_by_role("link", name="Памятка.pdf")).to_be_visible()
    assert_no_complaints(staff, "after the answer")
    with scopes_disabled():
        appeal.refresh_from_db()
        assert (appeal.status, appeal.unread_by_author) == ("answered", True)

    # The e-mail, with a link to the thread.
    mails = [mail for mail in outbox.messages(to=login) if mail.subject == f"Ответ на обращение № {number}"]
    assert len(mails) == 1, [mail.subject for mail in outbox.messages()]
    assert mails[0].tenant_slug == "mef"
    assert f"На ваше обращение № {number} пришёл ответ специалиста." in mails[0].text
    link = re.search(r"https?://\S+/appeals/[0-9a-f-]{36}/", mails[0].text).group(0)
    assert link == portal.url("mef", f"/appeals/{appeal.public_id}/")

    # The consumer: the menu's badge (a number to see, words for a screen reader).
    page.goto(portal.url("mef", "/overview/"))
    badge = appeals_in_menu(page).locator(".badge")
    expect(badge).to_have_text("1")
    expect(badge).to_have_attribute("aria-hidden", "true")
    hidden = appeals_in_menu(page).locator(".visually-hidden")
    expect(hidden).to_have_text(", непрочитанных ответов: 1")
    assert hidden.evaluate("el => getComputedStyle(el).clip") != "auto"  # read aloud, not drawn
    open_menu(page)
    expect(appeals_in_menu(page)).to_have_accessible_name(re.compile(r"^Обращения\s*, непрочитанных ответов: 1$"))
    audit("overview with the badge")
    open_menu(page)
    appeals_in_menu(page).click()
    item = main(page).get_by_role("list", name="Ваши обращения и заявки").get_by_role("listitem")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Новый ответ")
    expect(item.locator(".status")).to_have_text("Есть ответ")
    expect(item).to_contain_text("Отправлено: 1 · получено: 1")
    audit("appeals list with an answer")

    # The thread from the e-mail's link: the answer, its file; the badge is gone.
    page.goto(link)
    expect(heading(page)).to_have_text(f"Обращение № {number}")
    expect_no_badge(page)
    assert facts(page)["Статус"] == "Есть ответ"
    received = thread(page).locator(".thread__message--received")
    expect(received).to_have_count(1)
    expect(received.locator(".thread__meta")).to_contain_text("Специалист")
    expect(received.locator(".thread__text")).to_have_text("Мастер придёт в четверг с 9 до 13. Памятка — во вложении.")
    name, content = downloaded(page, received.get_by_role("link", name="Памятка.pdf"))
    assert (name, content) == ("Памятка.pdf", PDF)
    name, content = downloaded(page, thread(page).locator(".thread__message--sent").get_by_role(
        "link", name="Акт поверки.pdf"))
    assert (name, content) == ("Акт поверки.pdf", PDF)
    expect(main(page).get_by_role("heading", name="Написать ответ")).to_be_visible()
    audit("thread with the answer")
    with scopes_disabled():
        appeal.refresh_from_db()
        assert not appeal.unread_by_author

    open_menu(page)
    appeals_in_menu(page).click()
    expect_no_badge(page)
    expect(main(page).locator(".appeal-item")).not_to_contain_text("Новый ответ")
    audit.assert_clean()


# 2. A visitor asks support a question.


def test_a_visitor_asks_support_a_question(portal, axe_phone):
    page = axe_phone
    audit = Audit(page)
    page.goto(portal.url("gaz"))
    open_menu(page).get_by_role("link", name="Поддержка").click()
    expect(heading(page)).to_have_text("Поддержка")
    audit("support page")
    main(page).get_by_role("link", name="Задать вопрос в техподдержку").click()
    expect(heading(page)).to_have_text("Вопрос в техподдержку")
    audit("support question form")

    form = main(page)
    form.get_by_label("Как к вам обращаться").fill("Анна Петрова")
    question = "Не приходит письмо для подтверждения e-mail. Что делать?"
    form.get_by_label("Ваш вопрос").fill(question)
    form.get_by_label("Введите текст с картинки").fill("PASSED")
    # Neither an e-mail nor a phone: where to answer?
    form.get_by_role("button", name="Отправить вопрос").click()
    expect(page.locator("#error-summary")).to_contain_text("Укажите e-mail или телефон, чтобы мы могли ответить.")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(form.get_by_label("Ваш вопрос")).to_have_value(question)
    expect(form.get_by_label("Как к вам обращаться")).to_have_value("Анна Петрова")
    audit("support question form, refused")

    form.get_by_label("E-mail для ответа").fill("Anna@Example.com")
    form.get_by_label("Введите текст с картинки").fill("PASSED")  # a new captcha each time
    form.get_by_role("button", name="Отправить вопрос").click()
    expect(heading(page)).to_have_text("Вопрос отправлен")
    confirmation = main(page).get_by_role("status")
    expect(confirmation).to_have_text(re.compile(r"^Ваш вопрос № \d+ получен техподдержкой\.$"))
    number = number_in(confirmation.inner_text())
    audit("support question sent")

    with scopes_disabled():
        appeal = Appeal.objects.select_related("topic", "tenant").get(tenant__slug="gaz", number=number)
        assert (appeal.tenant.slug, appeal.kind, appeal.status, appeal.author) == ("gaz", "support", "new", None)
        assert (appeal.topic.name, appeal.topic.is_support) == (appeals_demo.SUPPORT_TOPIC, True)
        assert (appeal.contact_name, appeal.contact_email, appeal.contact_phone) == (
            "Анна Петрова", "anna@example.com", "")
        assert list(appeal.messages.values_list("text", flat=True)) == [question]
    # A reload shows the same confirmation; the support page is one tap away.
    page.reload()
    expect(main(page).get_by_role("status")).to_contain_text(f"№ {number}")
    main(page).get_by_role("link", name="Вернуться на страницу поддержки").click()
    expect(heading(page)).to_have_text("Поддержка")
    audit.assert_clean()


# 3. A grid-connection application at rosseti: the draft, its documents, sent.


def test_a_grid_connection_application_is_drafted_and_sent(portal, axe_phone, files):
    page = axe_phone
    audit = Audit(page)
    login = "consumer@rosseti.example"
    log_in(page, portal, "rosseti", login, PASSWORD)
    expect_signed_in_as(page, login)

    open_menu(page).get_by_role("link", name=re.compile("^Обращения")).click()
    main(page).get_by_role("link", name="Заявки", exact=True).click()
    expect(heading(page)).to_have_text("Заявки")
    audit("applications list, empty")
    main(page).get_by_role("link", name="Новая заявка на технологическое присоединение").click()
    expect(heading(page)).to_have_text("Заявка на технологическое присоединение")
    audit("grid application form")

    form = main(page)
    form.get_by_label("Заявитель").fill("Иванов Иван Иванович")
    form.get_by_label("Адрес объекта").fill("Московская обл., г. Истра, ул. Лесная, д. 7")
    form.get_by_label("Максимальная мощность, кВт").fill("0")
    form.get_by_label("Уровень напряжения").select_option(label="0,4 кВ")
    form.get_by_label("III категория").check()
    form.get_by_role("button", name="Вперёд: документы").click()
    expect(heading(page)).to_have_text("Заявка на технологическое присоединение")
    power = form.get_by_label("Максимальная мощность, кВт")
    expect(power.locator("xpath=ancestor::div[contains(@class, 'field')][1]").get_by_role("alert")).to_have_text(
        "Мощность должна быть больше нуля.")
    expect(page.locator("#error-summary")).to_contain_text(
        "Максимальная мощность, кВт: Мощность должна быть больше нуля.")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(form.get_by_label("Адрес объекта")).to_have_value("Московская обл., г. Истра, ул. Лесная, д. 7")
    expect(form.get_by_label("III категория")).to_be_checked()
    with scopes_disabled():
        assert not Appeal.objects.filter(author__username=login).exists()
    audit("grid application form, refused power")

    power.fill("15,5")
    form.get_by_role("button", name="Вперёд: документы").click()
    expect(flash(page)).to_contain_text("Черновик заявки сохранён. Теперь приложите документы.")
    expect(heading(page)).to_have_text(re.compile(r"^Заявка на технологическое присоединение № \d+$"))
    number = number_in(heading(page).inner_text())
    expect(main(page).locator("#submit-needs")).to_contain_text("Приложите хотя бы один документ.")
    with scopes_disabled():
        draft = Appeal.objects.get(tenant__slug="rosseti", number=number)
        assert (draft.kind, draft.status, str(draft.max_power_kw), draft.voltage, draft.reliability) == (
            "grid", "draft", "15.50", "0.4", "3")
    audit("documents, none yet")

    # A PDF attached first, then a PNG chosen and sent with «Отправить заявку».
    documents = main(page).get_by_label("Файлы документов")
    documents.set_input_files(files("Паспорт.pdf", PDF))
    main(page).get_by_role("button", name="Приложить").click()
    expect(flash(page)).to_contain_text("Документы приложены: 1.")
    expect(main(page).locator(".application-documents li")).to_have_count(1)
    expect(main(page).locator(".application-documents")).to_contain_text("Паспорт.pdf")
    expect(main(page).locator("#submit-needs")).to_have_count(0)
    audit("documents, one attached")
    documents.set_input_files(files("План участка.png", PNG))
    main(page).get_by_role("button", name="Отправить заявку").click()

    expect(flash(page)).to_contain_text(f"Заявка № {number} отправлена.")
    expect(heading(page)).to_have_text(f"Заявка на технологическое присоединение № {number}")
    shown = facts(page)
    assert shown["Статус"].lower() == "новое", shown
    assert (shown["Заявитель"], shown["Уровень напряжения"], shown["Категория надёжности"]) == (
        "Иванов Иван Иванович", "0,4 кВ", "III категория"), shown
    # The thread's summary says «15,5 кВт»; this list, floatformat:"-2", «15,50 кВт».
    assert re.fullmatch(r"15,50? кВт", shown["Максимальная мощность"]), shown
    sent = thread(page).locator(".thread__message--sent")
    expect(sent).to_have_count(1)
    expect(sent.locator(".thread__text")).to_contain_text("Максимальная мощность: 15,5 кВт")
    expect(sent.get_by_role("list", name="Файлы").get_by_role("link")).to_have_text(["Паспорт.pdf", "План участка.png"])
    audit("the application sent")
    with scopes_disabled():
        appeal = Appeal.objects.get(tenant__slug="rosseti", number=number)
        assert appeal.status == Appeal.Status.NEW and appeal.submitted_at is not None
        assert sorted(appeal.attachments.values_list("name", "content_type")) == [
            ("Паспорт.pdf", "application/pdf"), ("План участка.png", "image/png")]
        assert appeal.attachments.filter(message__isnull=True).count() == 0  # all in the first message

    # «Заявки» lists it as sent.
    page.goto(portal.url("rosseti", "/applications/"))
    card = main(page).locator(".card").filter(has_text=f"№ {number}")
    expect(card.locator(".status")).to_have_text("отправлена")
    audit("applications list, sent")
    audit.assert_clean()

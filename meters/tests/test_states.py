"""Every state of a reading and of the window in one sentence (meters.states, issue 24 item 4),
with Russian plural forms from the committed catalog."""

import datetime
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import timezone

from meters.models import Reading
from meters.states import Window, reading_author, reading_state

NOV_6, NOV_20, NOV_25, NOV_27 = (datetime.date(2026, 11, day) for day in (6, 20, 25, 27))


def reading(**fields):
    """An unsaved reading of 20 November (its state needs no database)."""
    defaults = {"zone": 1, "value": 100, "taken_on": NOV_20, "source": Reading.Source.PORTAL, "status": ""}
    return Reading(**{**defaults, **fields})


def portal(status, **fields):
    return reading(status=status, submitted_at=timezone.now(), submitted_by_id=7, period=NOV_20.replace(day=1),
                   **fields)


def test_each_state_of_a_reading_says_what_it_means_for_the_bill():
    december = datetime.date(2026, 12, 1)
    assert {key: reading_state(made).text for key, made in {
        "accepted": portal("submitted"),
        "accepted_next": reading(status="submitted", submitted_at=timezone.now(), taken_on=NOV_27, period=december),
        "exported": portal("exported"),
        "taken": portal("accepted"),
        "rejected": portal("rejected", status_reason="Не совпадает с контрольным"),
        "rejected_silently": portal("rejected"),
        "held": portal("held"),
        "amr": reading(source="amr"),
        "controller": reading(source="controller"),
        "estimated": reading(source="estimated"),
    }.items()} == {
        "accepted": "принято, войдёт в расчёт за ноябрь 2026",
        "accepted_next": "принято после окна приёма, войдёт в расчёт за декабрь 2026",
        "exported": "отправлено в расчётный центр, войдёт в расчёт за ноябрь 2026",
        "taken": "учтено в расчёте за ноябрь 2026",
        "rejected": "не принято расчётным центром: Не совпадает с контрольным",
        "rejected_silently": "не принято расчётным центром, причина не указана",
        "held": "не передано в расчёт: за этот период идёт показание другого пользователя",
        "amr": "снято автоматически",
        "controller": "снято контролёром",
        "estimated": "расчётное, не по счётчику",
    }


def test_who_sent_a_reading_is_said_only_to_its_author_or_to_a_holder():
    mine = portal("submitted")
    assert reading_author(mine, viewer_id=7) == "передано вами"
    assert reading_author(mine) == ""  # a page kept for every viewer names no one
    assert reading_author(mine, viewer_id=8) == ""
    assert reading_author(mine, viewer_id=8, who="i***@example.com") == "передано пользователем i***@example.com"
    assert reading_author(mine, viewer_id=8, others=True) == "передано другим пользователем"
    assert reading_author(portal("submitted", source="staff"), viewer_id=7) == "передано по телефону"
    assert reading_author(reading(source="amr"), viewer_id=7) == ""


def test_the_include_renders_the_sentence_with_its_author():
    html = render_to_string("meters/reading_state.html", {"reading": portal("rejected"), "viewer": 7})
    assert html == ('<span class="reading-state reading-state--rejected reading-state--error">'
                    "передано вами, не принято расчётным центром, причина не указана</span>")


@pytest.mark.parametrize(("window", "today", "text", "accepts"), [
    (Window(15, 25, False), NOV_6,
     "Приём показаний — с 15 по 25 ноября, но передать их можно и сейчас: они войдут в расчёт за ноябрь 2026.", True),
    (Window(15, 25, True), NOV_6,
     "Приём показаний откроется через 9 дней, 15 ноября, и продлится по 25 число; до этого показания не принимаются.",
     False),
    (Window(15, 25, True), datetime.date(2026, 11, 13),
     "Приём показаний откроется через 2 дня, 15 ноября, и продлится по 25 число; до этого показания не принимаются.",
     False),
    (Window(15, 25, True), datetime.date(2026, 11, 14),
     "Приём показаний откроется через 1 день, 15 ноября, и продлится по 25 число; до этого показания не принимаются.",
     False),
    (Window(15, 25, True), NOV_20,
     "Приём показаний открыт по 25 ноября, осталось 6 дней: переданные сейчас войдут в расчёт за ноябрь 2026.", True),
    (Window(1, 31, True), datetime.date(2026, 11, 10),
     "Приём показаний открыт по 30 ноября, остался 21 день: переданные сейчас войдут в расчёт за ноябрь 2026.", True),
    (Window(15, 25, True), NOV_25,
     "Приём показаний открыт по 25 ноября, сегодня последний день: переданные сейчас войдут в расчёт за ноябрь "
     "2026.", True),
    (Window(15, 25, True), NOV_27,
     "Приём показаний за ноябрь 2026 закончился 25 ноября; следующий откроется через 18 дней, 15 декабря.", False),
    (Window(15, 25, False), NOV_27,
     "Приём показаний за ноябрь 2026 закончился 25 ноября: переданные сейчас войдут в расчёт за декабрь 2026.", True),
])
def test_the_window_in_one_sentence(window, today, text, accepts):
    state = window.on(today)
    assert (state.text(), state.accepts) == (text, accepts)


@pytest.mark.parametrize(("count", "text"), [(1, "расход за 1 месяц"), (3, "расход за 3 месяца"),
                                             (5, "расход за 5 месяцев"), (11, "расход за 11 месяцев"),
                                             (22, "расход за 22 месяца")])
def test_templates_count_in_russian(count, text):
    rendered = Template('{% load i18n %}{% blocktranslate count months=n %}расход за {{ months }} месяц: за '
                        'предыдущий месяц показаний нет{% plural %}расход за {{ months }} месяца: за предыдущие '
                        'месяцы показаний нет{% endblocktranslate %}').render(Context({"n": count}))
    assert rendered.startswith(text + ":")


def test_the_committed_catalog_is_the_compiled_po(tmp_path):
    """`make messages` was run after the .po was edited (the .mo is what Django reads)."""
    folder = Path(settings.BASE_DIR) / "locale" / "ru" / "LC_MESSAGES"
    subprocess.run(["msgfmt", "-o", str(tmp_path / "django.mo"), str(folder / "django.po")], check=True)
    assert (tmp_path / "django.mo").read_bytes() == (folder / "django.mo").read_bytes()

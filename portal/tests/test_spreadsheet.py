"""CSV cells people open in a spreadsheet: nothing that starts like a formula stays one."""

import pytest

from portal.spreadsheet import not_a_formula


@pytest.mark.parametrize("text", [
    "=HYPERLINK(\"http://evil\")", "+7 900 000-00-00", "-1", "@SUM(A1)", "\t=1", "\r=1", "\n=1",
    "  =1+1",  # spreadsheets skip the leading spaces
    "＝1+1", "＋1", "－1", "＠A1",  # fullwidth signs, which some fold into ASCII
])
def test_a_cell_that_starts_like_a_formula_is_text(text):
    assert not_a_formula(text) == "'" + text


@pytest.mark.parametrize("text", ["", "поле", "Иванов", "12,50", "1=1", "a+b"])
def test_other_cells_are_left_alone(text):
    assert not_a_formula(text) == text

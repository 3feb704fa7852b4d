"""Text written into a CSV that people open in Excel or LibreOffice."""

import unicodedata

# What a spreadsheet may read as the start of a formula (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def not_a_formula(text):
    """A cell a spreadsheet reads as text: one that starts like a formula gets a leading
    apostrophe. Judged after leading spaces and in NFKC form, since spreadsheets skip the
    first and may fold fullwidth «＝＋－＠» into the ASCII signs."""
    head = unicodedata.normalize("NFKC", text.lstrip(" ")[:1])
    return f"'{text}" if text[:1] in FORMULA_STARTS or head[:1] in FORMULA_STARTS else text

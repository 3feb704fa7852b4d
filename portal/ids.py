"""Ids typed into URLs and forms."""

# A bigint has at most 19 digits; 18 keep every value within it.
MAX_ID_DIGITS = 18


def parse_id(text):
    """The integer (0 or more) ``text`` spells in ASCII digits, or None. ``str.isdigit`` alone also
    passes «²» (which int() refuses: a 500), «１» or «٣» (which int() reads: a second spelling
    of the same id) and 5,000 nines (int() refuses more than 4,300 digits)."""
    text = str(text)
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_ID_DIGITS:
        return None
    return int(text)

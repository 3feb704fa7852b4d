"""Which encoding an exchange file is in (shared/EXCHANGE.md: UTF-8, with or without a BOM, or
windows-1251), or why it is refused.

- A BOM is certain: UTF-8, UTF-16 and UTF-32 with one are read.
- A file whose every byte decodes as UTF-8 is UTF-8 (ASCII included). One that breaks only
  at its very end is UTF-8 cut off in the middle of a character: read as UTF-8, so the
  reader refuses it as cut off rather than taking it for windows-1251.
- Anything else is a single-byte encoding, and which one is charset-normalizer's call
  among the Cyrillic ones (KOI8-R, DOS cp866, Mac, ISO-8859-5 as well as windows-1251),
  on a sample of the lines that hold non-ASCII bytes. On short files it may hesitate
  between encodings that decode the file to the same text, or prefer a Mac decoding that
  turns «Сбербанк» into «—бербанк»: windows-1251 is kept when it decodes the sample to the
  same text, or to Cyrillic letters only where the other does not. A file that only
  windows-1251 decodes to letters, and that the library does not see as another, is
  windows-1251; anything else is refused with what it looks like.

KOI8-R and windows-1251 both map every byte from 0xC0 to a Cyrillic letter, only in a
different order: a letters-only test cannot tell them apart, the library's letter
frequencies can (tested on the demo tenants' names and addresses, two lines upward).
"""

import codecs
import re

from charset_normalizer import from_bytes

# The single-byte Cyrillic encodings a Russian billing file might come in.
CYRILLIC = ["cp1251", "koi8_r", "koi8_u", "cp866", "cp1125", "mac_cyrillic", "iso8859_5"]
NAMES = {
    "cp1251": "windows-1251", "koi8_r": "KOI8-R", "koi8_u": "KOI8-U", "cp866": "DOS cp866",
    "mac_cyrillic": "Mac Cyrillic", "iso8859_5": "ISO-8859-5",
    "utf_16": "UTF-16", "utf_16_le": "UTF-16", "utf_16_be": "UTF-16", "utf_32": "UTF-32",
}
# Encodings whose Russian letters are another's: named as the better known one.
SAME_RUSSIAN = {"cp1125": "cp866", "koi8_u": "koi8_r"}
SAMPLE_BYTES = 64 * 1024
# What a Russian text's non-ASCII characters are: letters, and the typography Word puts in.
RUSSIAN = re.compile(r"[А-Яа-яЁё№«»—–‘’“”„…\u00a0\u00b7\u00b0\u00b2\u00b3]")
NON_ASCII = re.compile(r"[^\x00-\x7f]")

BOMS = [  # the longest first: UTF-32 LE's starts with UTF-16 LE's
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
]


class EncodingRefused(Exception):
    """The file's encoding is not one the exchange takes, or not certain; ``english`` and
    ``russian`` say what it looks like and what to do."""

    def __init__(self, english, russian):
        super().__init__(english)
        self.russian = russian


def detect_encoding(binary, chunk_size=1 << 20):
    """The Python codec to read ``binary`` with, or EncodingRefused. Reads the file once, a
    chunk at a time, then rewinds it."""
    try:
        return _detect(binary, chunk_size)
    finally:
        binary.seek(0)


def _detect(binary, chunk_size):
    start = binary.read(4)
    for bom, encoding in BOMS:
        if start.startswith(bom):
            return encoding
    binary.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    sample, utf8, nuls, size = bytearray(), True, 0, 0
    while chunk := binary.read(chunk_size):
        size += len(chunk)
        nuls += chunk.count(0)
        if utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                utf8 = False
        if len(sample) < SAMPLE_BYTES:
            sample += _non_ascii_lines(chunk)
    if nuls * 4 > size:  # a text of ours holds no NUL; UTF-16 without a BOM is mostly NULs
        raise EncodingRefused(
            "looks like UTF-16 without a byte order mark: save it as UTF-8 (or as UTF-16 with a BOM, "
            "Excel's «Unicode text»)",
            "файл похож на UTF-16 без метки порядка байтов (BOM): сохраните его в UTF-8 "
            "(или в UTF-16 с меткой — «Текст Юникод» в Excel)")
    if utf8:
        # An error only at the end (decode(final=True)) is a character cut in half: the
        # reader finds it and says the file is cut off.
        return "utf-8"
    return _single_byte(bytes(sample[:SAMPLE_BYTES]))


def _non_ascii_lines(chunk):
    """The lines of ``chunk`` that hold a non-ASCII byte (the sample the guess is made on:
    a file's ASCII lines say nothing of its encoding)."""
    return b"".join(line for line in chunk.splitlines(keepends=True) if not line.isascii())


def _single_byte(sample):
    matches = from_bytes(sample, cp_isolation=CYRILLIC, steps=1, chunk_size=len(sample), explain=False)
    best = matches.best()
    windows = _decoded(sample, "cp1251")
    windows_letters = windows is not None and _russian_only(windows)
    if best is None:
        if windows_letters:
            return "cp1251"
        guess = from_bytes(sample).best()
        raise _refused(guess.encoding if guess else None)
    if best.encoding == "cp1251" and windows_letters:
        return "cp1251"
    other = str(best)
    if windows_letters and (windows == other or not _russian_only(other)):
        return "cp1251"
    if best.encoding == "cp1251":  # the library's pick, but not letters: something else
        guess = from_bytes(sample).best()
        raise _refused(guess.encoding if guess and guess.encoding != "cp1251" else None)
    raise _refused(best.encoding)


def _decoded(sample, encoding):
    try:
        return sample.decode(encoding)
    except UnicodeDecodeError:
        return None


def _russian_only(text):
    return all(RUSSIAN.fullmatch(character) for character in NON_ASCII.findall(text))


def _refused(encoding):
    if encoding is None:
        return EncodingRefused(
            "the encoding is not certain: save it as UTF-8 or windows-1251, or name it with --encoding",
            "кодировку файла не удалось определить уверенно: сохраните его в UTF-8 или windows-1251")
    encoding = SAME_RUSSIAN.get(encoding, encoding)
    name = NAMES.get(encoding, encoding)
    return EncodingRefused(
        f"looks like {name}, not UTF-8 or windows-1251: save it as UTF-8 or windows-1251, "
        f"or give --encoding {encoding} if it really is {name}",
        f"файл похож на кодировку {name}, а не UTF-8 или windows-1251: сохраните его в UTF-8 или windows-1251")

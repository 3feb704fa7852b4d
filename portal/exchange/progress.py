"""A progress bar per file for a command run in a terminal. A progress is a function
``(binary, name)`` giving a context manager that yields the file to read instead."""

import contextlib
import io
import sys


def no_progress(binary, name):
    return contextlib.nullcontext(binary)


def terminal_progress(stream=sys.stderr):
    """A progress bar per file (tqdm, over the bytes read) when ``stream`` is a terminal."""
    if not stream.isatty():
        return None
    from tqdm import tqdm

    @contextlib.contextmanager
    def wrap(binary, name):
        size = binary.seek(0, io.SEEK_END)
        binary.seek(0)
        with tqdm(total=size, unit="B", unit_scale=True, desc=name, file=stream, leave=False) as bar:
            yield io.BufferedReader(_CountingReader(binary, bar.update))

    return wrap


class _CountingReader(io.RawIOBase):
    """A binary file that reports how many bytes were read (tqdm's wrapattr counts read()
    only, and TextIOWrapper reads through read1)."""

    def __init__(self, binary, counted):
        self._binary, self._counted = binary, counted

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self._binary.read(len(buffer))
        buffer[: len(data)] = data
        self._counted(len(data))
        return len(data)

"""The report of an import: per file its figures and rejected lines (spooled to disk, a file
of a million bad rows must not fill memory), printed as text or written as JSON."""

import csv
import json
import tempfile
from dataclasses import dataclass, field

from .registry import reason_text

REJECTED_SHOWN = 20


@dataclass
class Rejected:
    line: int
    code: str
    column: str = ""
    value: str = ""
    detail: str = ""

    def reason(self, language="en"):
        return reason_text(self.code, column=self.column, value=self.value, detail=self.detail, language=language)


@dataclass
class FileReport:
    file: str
    kind: str = ""
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected_count: int = 0
    problem: str = ""
    problem_ru: str = ""  # the same in Russian, for the tenant's staff (ImportFile)
    warnings: list = field(default_factory=list)
    columns: set = field(default_factory=set)  # the file's header
    # Rejected rows spill to a temporary file: a file of a million bad rows must not fill memory.
    rejected_spool: object = None

    def add_rejected(self, rejected):
        if self.rejected_spool is None:
            self.rejected_spool = tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="")
        csv.writer(self.rejected_spool).writerow(
            [rejected.line, rejected.code, rejected.column, rejected.value, rejected.detail]
        )
        self.rejected_count += 1

    def rejected(self):
        if self.rejected_spool is None:
            return
        self.rejected_spool.seek(0)
        for line, code, column, value, detail in csv.reader(self.rejected_spool):
            yield Rejected(int(line), code, column, value, detail)

    def close(self):
        if self.rejected_spool is not None:
            self.rejected_spool.close()
            self.rejected_spool = None


@dataclass
class ImportReport:
    files: list = field(default_factory=list)
    written: bool = False

    def close(self):
        for report in self.files:
            report.close()


def print_report(report, write, *, language="en"):
    """The report as text, through ``write`` (a line at a time)."""
    for file_report in report.files:
        title = f"{file_report.file} ({file_report.kind or 'unknown kind'})"
        if file_report.problem:
            write(f"{title}: REFUSED — {file_report.problem}")
            continue
        write(f"{title}: read {file_report.read}, created {file_report.created}, updated {file_report.updated}, "
              f"unchanged {file_report.unchanged}, rejected {file_report.rejected_count}")
        for warning in file_report.warnings:
            write(f"  warning: {warning}")
        for number, rejected in enumerate(file_report.rejected()):
            if number == REJECTED_SHOWN:
                write(f"  … and {file_report.rejected_count - REJECTED_SHOWN} more rejected lines")
                break
            write(f"  line {rejected.line}: {rejected.reason(language)}")
    write("Written." if report.written else "Nothing was written.")


def write_report_json(report, stream):
    """The report as JSON, written piece by piece (rejected lines are streamed)."""
    stream.write('{"files": [')
    for index, file_report in enumerate(report.files):
        if index:
            stream.write(", ")
        head = {
            "file": file_report.file, "kind": file_report.kind, "read": file_report.read,
            "created": file_report.created, "updated": file_report.updated, "unchanged": file_report.unchanged,
        }
        if file_report.problem:
            head["refused"] = file_report.problem
        if file_report.warnings:
            head["warnings"] = file_report.warnings
        stream.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "rejected": [')
        for number, rejected in enumerate(file_report.rejected()):
            if number:
                stream.write(", ")
            stream.write(json.dumps({"line": rejected.line, "reason": rejected.reason()}, ensure_ascii=False))
        stream.write("]}")
    stream.write(f'], "written": {"true" if report.written else "false"}}}\n')

"""The report of an import: as JSON (--report-json) and as printed."""

from billing.factories import EXCHANGE_FILES, run_import, write_csv


def test_the_json_report_has_the_documented_structure(imported, tmp_path):
    meters = """
        supplier;account_number;serial;service
        energo;100200300;E-001;electricity
        energo;404;G-1;gas
        energo;100200301;G-2;gas
    """
    report = run_import(imported, write_csv(tmp_path, "meters.csv", meters))

    assert report == {
        "files": [{
            "file": "meters.csv", "kind": "meters", "read": 3, "created": 1, "updated": 0, "unchanged": 1,
            "rejected": [{"line": 3, "reason": "unknown account energo 404"}],
        }],
        "written": True,
    }


def test_the_printed_report_gives_figures_reasons_and_whether_anything_was_written(imported, tmp_path):
    report = run_import(imported, write_csv(tmp_path, "accounts.csv", EXCHANGE_FILES["accounts"] + "energo;1;person;;;;;;\n"))
    assert report.stdout.splitlines() == [
        "accounts.csv (accounts): read 3, created 0, updated 0, unchanged 2, rejected 1",
        "  line 4: subscriber_type: «person» is not one of: individual, legal",
        "Nothing was written.",
    ]

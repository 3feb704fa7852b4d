from billing.management.export_command import ExportCommand
from meters.exchange import export_readings


class Command(ExportCommand):
    help = (
        "Export readings submitted in the portal to billing (readings_export.csv of shared/EXCHANGE.md): "
        "--since-last sends and marks what no export has sent; --period YYYY-MM re-exports a month, marking nothing."
    )
    export = export_readings
    noun = "readings"

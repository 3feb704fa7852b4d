from billing.management.export_command import ExportCommand
from payments.exports import export_payments


class Command(ExportCommand):
    help = (
        "Export the portal's succeeded payments to billing (payments_export.csv of shared/EXCHANGE.md): "
        "--since-last sends and marks what no export has sent; --period YYYY-MM re-exports a month."
    )
    export = export_payments
    noun = "payments"

"""`manage.py loyalty_audit`: every account's row against its entries and lots."""

import sys

from django.core.management.base import BaseCommand

from services.loyalty.selectors import ledger_audit


class Command(BaseCommand):
    help = (
        "Check that every loyalty account's balance equals the sum of its entries (plus debt) "
        "and of its open lots; exit 1 on any difference."
    )

    def handle(self, *args, **options):
        problems = ledger_audit()
        for p in problems:
            self.stderr.write(
                f"account {p['account_id']} (tenant {p['tenant_id']}): balance {p['balance']}, "
                f"debt {p['debt']}, entries {p['entries_sum']}, lots {p['lots_sum']}"
            )
        if problems:
            self.stderr.write(self.style.ERROR(f"{len(problems)} account(s) out of balance."))
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS("Every loyalty account balances."))

"""The credit file (信用档案): subjects, accounts, bills, payments, incidents, reminders, reports."""

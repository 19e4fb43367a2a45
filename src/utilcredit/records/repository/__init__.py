"""Every query of the dishonesty-record register, one module per subject. Each takes a
Connection and never commits.

* :mod:`.facts` — what the register reads from the credit file: the demands with the bills
  overdue on their day, incidents, payments, unpaid bills;
* :mod:`.register` — the records themselves: their evidence, lists and filters, the calendar's
  moves and the dashboard's numbers;
* :mod:`.casework` — what every case shares: the compare-and-set of its state, its events,
  its attachments, and the table and paged list of one kind of case;
* :mod:`.objections` and :mod:`.repairs` — the two kinds of case filed against a record.
"""

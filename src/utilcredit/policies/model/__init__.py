"""Typed policy model: one city's rating rules as data (SPEC 2.2, 3; DESIGN "Policies are data").

A policy file is YAML validated into these frozen Pydantic models. The rating engine, the
explanations, the public criteria page and the linter all read the same objects, so a rule is
written once. Only *general* clause types live here (counts over a window, arrears months, report
checks, and/or); every city-specific number, kind or window is data in the YAML file.

Vocabulary:

* A *requirement* clause (green ``G*``, blue ``B*``) either **holds** or **fails**.
* A *trigger* clause (yellow ``Y*``, red ``R*``, black ``K*``) either **fires** or stays **clear**.
* Either may be **unknown** when the data needed to decide it is missing.

The model is one module per part of a policy file, each pure (no store, no I/O):

* :mod:`~utilcredit.policies.model.levels`: the credit levels and the clause-id prefixes;
* :mod:`~utilcredit.policies.model.conditions`: windows, bounds and the clause tests;
* :mod:`~utilcredit.policies.model.dishonesty`: the rules that make a dishonesty record
  (``dishonesty:``);
* :mod:`~utilcredit.policies.model.credit_application`: who may apply on credit, and the
  eligibility tests that read the application (``credit_application:``);
* :mod:`~utilcredit.policies.model.measures`: incentives and constraints (``measures:``);
* :mod:`~utilcredit.policies.model.notices`: what the utility tells whom, and its templates
  (``notices:``);
* :mod:`~utilcredit.policies.model.policy`: clauses, designations and the policy itself;
* :mod:`~utilcredit.policies.model.base`: the frozen base every part shares.
"""

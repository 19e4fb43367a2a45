"""Explanations and the rate/explain output formats."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from tests.unit.rating.rating_histories import AS_OF, SUBJECT_CODE, History
from utilcredit.cli.formats import (
    RATE_COLUMNS,
    RATE_TABLE_COLUMNS,
    format_explanation,
    format_rate,
)
from utilcredit.customers.model import Utility
from utilcredit.policies.loader import load_policy
from utilcredit.rating.evaluator import evaluate
from utilcredit.rating.explain import explain_dict, explain_text
from utilcredit.rating.results import Evaluation

POLICY = load_policy("lianshui-water").policy


def two_late_payments() -> Evaluation:
    history = History.clean(Utility.WATER, "jiangsu").late(
        dt.date(2026, 3, 15), dt.date(2026, 5, 15)
    )
    return evaluate(history.build(), POLICY, AS_OF)


def test_text_names_level_clause_value_and_evidence() -> None:
    text = explain_text(two_late_payments(), POLICY)
    assert text.startswith("等级：黄色")
    y2 = next(line for line in text.splitlines() if line.strip().startswith("Y2 "))
    assert POLICY.clause("Y2").text in y2
    assert "触发（2次：账单 B001 2026-03-15" in y2
    assert "账单 B002 2026-05-15" in y2
    assert "B1 " in text and "不满足" in text


def test_text_can_show_only_notable_clauses() -> None:
    text = explain_text(two_late_payments(), POLICY, all_clauses=False)
    assert "Y2 " in text
    assert "K11 " not in text  # clear clauses are left out


def test_json_round_trips_and_agrees_with_the_evaluation() -> None:
    evaluation = two_late_payments()
    data = json.loads(format_explanation(evaluation, POLICY, "json"))
    assert data == json.loads(json.dumps(explain_dict(evaluation, POLICY)))
    assert data["level"] == "yellow" and data["level_zh"] == "黄色"
    assert data["fired"] == ["Y2"]
    y2 = next(c for c in data["clauses"] if c["id"] == "Y2")
    assert y2["value"] == 2
    assert [e["ref"] for e in y2["outcome"]["evidence"]] == ["B001", "B002"]


def test_rate_formats_have_the_four_columns() -> None:
    evaluations = [two_late_payments()]
    rows = list(csv.reader(io.StringIO(format_rate(evaluations, "csv"))))
    assert tuple(rows[0]) == RATE_COLUMNS
    assert rows[1] == [SUBJECT_CODE, "yellow", "Y2", "G2,B1"]
    line = json.loads(format_rate(evaluations, "jsonl"))
    assert line == {
        "subject": SUBJECT_CODE,
        "level": "yellow",
        "fired": ["Y2"],
        "failed": ["G2", "B1"],
    }
    table = format_rate(evaluations, "table").splitlines()
    assert table[0].split() == list(RATE_TABLE_COLUMNS)
    assert table[1].split() == [SUBJECT_CODE, "黄色", "Y2", "G2,B1"]  # people read the table


def test_unknown_requirements_are_listed_as_not_held() -> None:
    evaluation = evaluate(History.clean(Utility.WATER, None).build(), POLICY, AS_OF)
    line = json.loads(format_rate([evaluation], "jsonl"))
    assert line["failed"] == ["G4", "B3"]
    assert "无法判定" in explain_text(evaluation, POLICY)


def test_set_aside_evidence_is_never_shown() -> None:
    history = History.clean(Utility.WATER, "jiangsu").late(dt.date(2026, 3, 15))
    history.bill(due=dt.date(2026, 4, 15), paid={dt.date(2026, 4, 16): "100.00"}, set_aside_by=3)
    history.late(dt.date(2026, 5, 15))
    evaluation = evaluate(history.build(), POLICY, AS_OF)
    assert evaluation.fired == ("Y2",)
    text = explain_text(evaluation, POLICY)
    assert "B001" in text and "B003" in text and "B002" not in text
    assert "B002" not in json.dumps(explain_dict(evaluation, POLICY))


def test_no_overdue_requirement_shows_the_overdue_bill() -> None:
    policy = load_policy("shaoguan-water").policy
    history = History.clean(Utility.WATER, "guangdong").bill(due=dt.date(2023, 1, 31))
    text = explain_text(evaluate(history.build(), policy, AS_OF), policy)
    line = next(line for line in text.splitlines() if line.strip().startswith("3 年内无欠费"))
    assert line.endswith("不满足（1笔逾期：账单 B001 2023-01-31 欠100.00元）")

"""The public criteria document and the ``policy`` sub-commands."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from typer.testing import CliRunner

from utilcredit.cli.policies import policy_app
from utilcredit.policies.loader import LoadedPolicy, list_policies, shipped_policy_root
from utilcredit.policies.render import render

POLICIES = list_policies()


@pytest.mark.parametrize("loaded", POLICIES, ids=[lp.key for lp in POLICIES])
@pytest.mark.parametrize("fmt", ["md", "html"])
def test_document_lists_every_clause_with_its_text_and_interpretation(
    loaded: LoadedPolicy, fmt: str
) -> None:
    document = render(loaded.policy, fmt)
    readable = html.unescape(document) if fmt == "html" else document
    for clause in loaded.policy.clauses:
        assert clause.id in readable
        assert clause.text in readable
        if clause.interpretation:
            assert clause.interpretation in readable
    for level in loaded.policy.levels:
        assert f"{level.label_zh}信用等级" in readable


@pytest.mark.parametrize("loaded", POLICIES, ids=[lp.key for lp in POLICIES])
@pytest.mark.parametrize("fmt", ["md", "html"])
def test_document_states_what_counts_and_how_no_arrears_is_read(
    loaded: LoadedPolicy, fmt: str
) -> None:
    readable = html.unescape(render(loaded.policy, fmt))
    assert "立户前发生的事件" in readable  # incidents before the account opened count
    assert "已修复、已撤销或经异议更正的失信记录" in readable  # set-aside evidence does not
    for designation in loaded.policy.designations:
        for requirement in designation.requirements:
            assert requirement.text in readable
            if requirement.interpretation:
                assert requirement.interpretation in readable
    # only the Guangdong designations read 无欠费 over a window (no_overdue_in_window)
    reads_no_arrears = "期间开始前到期、进入期间时仍未付清的账单也算欠费" in readable
    assert reads_no_arrears == (loaded.key in ("shaoguan-water", "zhanjiang-power"))


def test_suizhou_document_has_no_black_section() -> None:
    suizhou = next(lp for lp in POLICIES if lp.key == "suizhou-water")
    assert "黑色信用等级" not in render(suizhou.policy, "md")


def test_html_escapes_markup_and_markdown_keeps_text_verbatim() -> None:
    lianshui = next(lp for lp in POLICIES if lp.key == "lianshui-water").policy
    first = lianshui.clauses[0].model_copy(update={"text": "<script>x</script>"})
    tampered = lianshui.model_copy(update={"clauses": (first, *lianshui.clauses[1:])})
    page = render(tampered, "html")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert "<script>x</script>" in render(tampered, "md")


runner = CliRunner()


def test_check_passes_on_shipped_files_and_fails_on_errors(tmp_path: Path) -> None:
    shipped = sorted(str(p) for p in Path(str(shipped_policy_root())).glob("*/*.yaml"))
    result = runner.invoke(policy_app, ["check", *shipped])
    assert result.exit_code == 0, result.output
    assert "shadowed [R7]" in result.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("key: x\nclauses: [\n", encoding="utf-8")
    result = runner.invoke(policy_app, ["check", str(broken)])
    assert result.exit_code == 1
    assert f"{broken}:3: error yaml" in result.output


def test_list_and_render(tmp_path: Path) -> None:
    listed = runner.invoke(policy_app, ["list"])
    assert listed.exit_code == 0
    assert {line.split("\t")[0] for line in listed.output.splitlines()} == {
        lp.key for lp in POLICIES
    }
    out = tmp_path / "huaiyin.html"
    rendered = runner.invoke(
        policy_app, ["render", "huaiyin-power", "--format", "html", "-o", str(out)]
    )
    assert rendered.exit_code == 0, rendered.output
    assert "K10" in out.read_text(encoding="utf-8")
    missing = runner.invoke(policy_app, ["render", "nowhere-water"])
    assert missing.exit_code == 2

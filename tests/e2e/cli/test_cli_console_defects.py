"""The command line's defects of issue 14, each with the test that would have caught it: a slow
``--help``, dates the importer accepts but options refused, a wrong check character reported
as a missing subject, ``policy render`` into a missing folder, ``policy check`` failing on
warnings in English only, ``rate`` printing full ID numbers and English level names, and
reStructuredText markup in the help."""

from __future__ import annotations

import csv
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from typer import _click as click
from typer.core import TyperGroup

import utilcredit.policies
from tests.support.shell import run_cli as run
from utilcredit.cli.main import COMMANDS, app
from utilcredit.identifiers.model import ric_check_char, uscc_check_char

pytestmark = pytest.mark.sqlite_only

SHIPPED_POLICIES = sorted(
    str(p) for p in (Path(utilcredit.policies.__file__).parent / "files").glob("*/*.yaml")
)


def uscc(n: int) -> str:
    first = f"91320826{n:09d}"
    return first + uscc_check_char(first)


def ric(n: int) -> str:
    first = f"32082619800101{n:03d}"
    return first + ric_check_char(first)


def with_wrong_check(code: str, alphabet: str) -> str:
    return code[:17] + next(c for c in alphabet if c != code[17])


def write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


@pytest.fixture
def utility(tmp_path: Path) -> Path:
    """A company in arrears (black under lianshui-water) and a person without a credit report
    (yellow)."""
    folder = tmp_path / "export"
    folder.mkdir()
    write(
        folder / "subjects.csv",
        [["code", "kind", "name"], [uscc(1), "legal", "涟水县甲公司"], [ric(1), "natural", "张三"]],
    )
    write(
        folder / "accounts.csv",
        [
            ["account_no", "subject_code", "utility", "opened_on", "payment_mode"],
            ["W1", uscc(1), "water", "2020-01-01", "postpaid"],
            ["W2", ric(1), "water", "2020-01-01", "postpaid"],
        ],
    )
    write(
        folder / "bills.csv",
        [
            ["bill_no", "account_no", "period_start", "period_end", "amount", "due_on"],
            ["B1", "W1", "2026-01-01", "2026-01-31", "100.00", "2026-02-15"],
        ],
    )
    return folder


@pytest.fixture
def store(store_env: dict[str, str], utility: Path) -> dict[str, str]:
    imported = run(store_env, "import", str(utility), "-q")
    assert imported.returncode == 0, imported.stderr
    return store_env


def said(text: str) -> str:
    """Rich wraps long messages; compare without the line breaks."""
    return text.replace("\n", "")


# ---- start-up: the root imports no command module ---------------------------------------

HEAVY = ("utilcredit.applications", "utilcredit.rating", "sqlalchemy", "duckdb", "weasyprint")


def test_the_root_and_its_help_import_no_heavy_module() -> None:
    script = (
        "import sys\n"
        "import utilcredit.cli.main as main\n"
        "after_import = sorted(sys.modules)\n"
        "sys.argv = ['utilcredit', '--help']\n"
        "try:\n"
        "    main.app()\n"
        "except SystemExit:\n"
        "    pass\n"
        "import json\n"
        "print(json.dumps([after_import, sorted(sys.modules)]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    after_import, after_help = json.loads(done.stdout.splitlines()[-1])
    for loaded in (after_import, after_help):
        heavy = [m for m in loaded if m.startswith(HEAVY) or m.startswith("utilcredit.cli.")]
        assert heavy == ["utilcredit.cli.lazy", "utilcredit.cli.main"]
    for name in COMMANDS:
        assert re.search(rf"│ {re.escape(name)}\s", done.stdout), name


def test_the_root_help_lists_every_group_in_process(store_env: dict[str, str]) -> None:
    helped = run(store_env, "--help")
    assert helped.returncode == 0, helped.stderr
    listed = re.findall(r"^│ (\w\S*)\s", helped.stdout, flags=re.MULTILINE)
    assert listed == list(COMMANDS)


def test_each_summary_is_the_first_paragraph_of_its_commands_help() -> None:
    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    ctx = click.Context(root, info_name="utilcredit")
    for name, entry in COMMANDS.items():
        command = root.get_command(ctx, name)
        assert command is not None and command.name == name
        first = inspect.cleandoc(command.help or "").split("\n\n")[0]
        assert entry.summary == first, name


def test_a_typo_still_suggests_the_lazy_command(store_env: dict[str, str]) -> None:
    typo = run(store_env, "notice")
    assert typo.returncode == 2
    assert "notices" in said(typo.stderr)


def _every_command_path() -> list[list[str]]:
    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(command: click.Command, path: list[str]) -> None:
        paths.append(path)
        if isinstance(command, TyperGroup):
            ctx = click.Context(command, info_name=path[-1] if path else "utilcredit")
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None
                walk(sub, [*path, name])

    walk(root, [])
    return paths


def test_no_help_shows_restructuredtext_markup(store_env: dict[str, str]) -> None:
    paths = _every_command_path()
    assert len(paths) > 90  # every group and command, hidden ones too
    markup = re.compile(r"``|:(func|mod|class|meth|attr|data):")
    found = []
    for path in paths:
        helped = run(store_env, *path, "--help")
        assert helped.returncode == 0, (path, helped.stderr)
        found += [
            f"{' '.join(path)}: {line.strip()}"
            for line in helped.stdout.splitlines()
            if markup.search(line)
        ]
    assert found == []


# ---- dates: the forms the importer accepts -----------------------------------------------


@pytest.mark.parametrize("day", ["2026/11/22", "2026年11月22日", "20261122", "2026-11-22"])
def test_as_of_takes_every_form_the_importer_takes(store: dict[str, str], day: str) -> None:
    iso = run(store, "rate", "-p", "lianshui-water", "--as-of", "2026-11-22", "-f", "csv")
    other = run(store, "rate", "-p", "lianshui-water", "--as-of", day, "-f", "csv")
    assert other.returncode == 0, other.stderr
    assert other.stdout == iso.stdout and "black" in iso.stdout


def test_a_step_date_and_a_date_argument_take_them_too(store_env: dict[str, str]) -> None:
    iso = run(store_env, "calendar", "deadline", "2026-11-30", "5")
    chinese = run(store_env, "calendar", "deadline", "2026年11月30日", "5")
    slashes = run(store_env, "calendar", "deadline", "2026/11/30", "5")
    assert iso.returncode == 0, iso.stderr
    assert chinese.stdout == iso.stdout == slashes.stdout


def test_a_bad_date_names_the_accepted_forms(store_env: dict[str, str]) -> None:
    bad = run(store_env, "rate", "-p", "lianshui-water", "--as-of", "2026/02/30")
    assert bad.returncode != 0
    assert "日期无效" in said(bad.stderr) and "YYYY年M月D日" in said(bad.stderr)
    assert "Traceback" not in bad.stderr


# ---- codes: a wrong check character is said so -------------------------------------------


@pytest.mark.parametrize(
    ("code", "alphabet"),
    [(uscc(1), "0123456789ABCDEFGHJKLMNPQRTUWXY"), (ric(1), "0123456789X")],
)
def test_a_wrong_check_character_is_named(store: dict[str, str], code: str, alphabet: str) -> None:
    wrong = with_wrong_check(code, alphabet)
    explained = run(store, "explain", wrong, "-p", "lianshui-water", "--as-of", "2026-11-22")
    message = said(explained.stderr)
    assert explained.returncode != 0
    assert "校验位错误" in message and "check character should be" in message
    assert f"应为{code[17]}" in message
    assert "field: code" in message and "没有该主体" not in message


def test_a_well_formed_unknown_code_is_still_not_found(store: dict[str, str]) -> None:
    missing = run(store, "explain", uscc(99), "-p", "lianshui-water", "--as-of", "2026-11-22")
    assert missing.returncode != 0
    assert "没有该主体" in said(missing.stderr) and "校验位" not in said(missing.stderr)


def test_entitlements_name_the_wrong_check_character(store: dict[str, str]) -> None:
    wrong = with_wrong_check(uscc(1), "0123456789ABCDEFGHJKLMNPQRTUWXY")
    user = run(
        store,
        "user",
        "add",
        "op1",
        "-r",
        "operator",
        "-u",
        "water",
        "--password",
        "long-enough-password-1",
    )
    assert user.returncode == 0, user.stderr
    answered = run(store, "entitlements", wrong, "--actor", "op1")
    assert answered.returncode != 0
    assert "校验位错误" in said(answered.stderr) and "field: code" in said(answered.stderr)


# ---- policy render and policy check ------------------------------------------------------


def test_the_commands_formats_are_the_renderers() -> None:
    from utilcredit.cli.policies import DocumentFormat
    from utilcredit.policies.render import RenderFormat

    assert [f.value for f in DocumentFormat] == [f.value for f in RenderFormat]


def test_render_into_a_missing_folder_makes_it(store_env: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "not" / "yet" / "criteria.html"
    done = run(
        store_env,
        "policy",
        "render",
        "lianshui-water",
        "-f",
        "html",
        "-o",
        str(target),
        "--at",
        "2026年11月30日",
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "<html" in target.read_text(encoding="utf-8")


def test_render_into_an_unwritable_path_is_a_clear_error(
    store_env: dict[str, str], tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    done = run(store_env, "policy", "render", "lianshui-water", "-o", str(blocker / "out.md"))
    assert done.returncode != 0
    assert "无法写入" in said(done.stderr) and "field: output" in said(done.stderr)
    assert "Traceback" not in done.stderr


def test_policy_check_passes_warnings_and_speaks_chinese(store_env: dict[str, str]) -> None:
    checked = run(store_env, "policy", "check", *SHIPPED_POLICIES)
    warnings = [line for line in checked.stdout.splitlines() if ": warning " in line]
    assert warnings, "the shipped policies carry warnings, which this test is about"
    assert checked.returncode == 0, checked.stdout
    assert all("警告" in line for line in warnings)
    assert "警告" in said(checked.stderr) and "warnings" in said(checked.stderr)
    strict = run(store_env, "policy", "check", "--strict", *SHIPPED_POLICIES)
    assert strict.returncode == 1


def test_policy_check_fails_on_an_error(store_env: dict[str, str], tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("key: [unclosed\n", encoding="utf-8")
    checked = run(store_env, "policy", "check", str(broken))
    assert checked.returncode == 1
    assert ": error yaml" in checked.stdout and "〔错误：YAML格式错误〕" in checked.stdout


# ---- rate: masked ID numbers, Chinese level names ----------------------------------------


def test_rate_masks_id_numbers_and_names_levels_in_chinese(store: dict[str, str]) -> None:
    table = run(store, "rate", "-p", "lianshui-water", "--as-of", "2026-11-22")
    assert table.returncode == 0, table.stderr
    masked = ric(1)[:10] + "****" + ric(1)[-4:]
    assert ric(1) not in table.stdout and masked in table.stdout
    assert uscc(1) in table.stdout  # a company's code is public registration data
    assert "黑色" in table.stdout and "黄色" in table.stdout  # no credit report: yellow
    assert not re.search(r"\b(green|blue|yellow|red|black)\b", table.stdout)
    for fmt in ("csv", "jsonl"):
        machine = run(store, "rate", "-p", "lianshui-water", "--as-of", "2026-11-22", "-f", fmt)
        assert ric(1) not in machine.stdout and masked in machine.stdout
        assert "black" in machine.stdout  # machine formats keep the level keys


def test_rate_unmasked_shows_the_full_number(store: dict[str, str]) -> None:
    full = run(store, "rate", "-p", "lianshui-water", "--as-of", "2026-11-22", "--unmasked")
    assert full.returncode == 0, full.stderr
    assert ric(1) in full.stdout


def test_runs_show_lists_subjects_masked_unless_asked(store: dict[str, str]) -> None:
    saved = run(store, "rate", "-p", "lianshui-water", "--as-of", "2026-11-22", "--save")
    assert saved.returncode == 0, saved.stderr
    run_id = re.search(r"\d+", saved.stdout)
    assert run_id is not None, saved.stdout
    masked = ric(1)[:10] + "****" + ric(1)[-4:]
    listed = run(store, "runs", "show", run_id.group(), "--subjects")
    assert listed.returncode == 0, listed.stderr
    assert ric(1) not in listed.stdout and masked in listed.stdout
    assert uscc(1) in listed.stdout
    full = run(store, "runs", "show", run_id.group(), "--subjects", "--unmasked")
    assert ric(1) in full.stdout

"""The generated reference pages are what docs/gen_reference.py writes today: a stale page fails here, by name."""

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _generator():
    spec = importlib.util.spec_from_file_location("gen_reference", ROOT / "docs" / "gen_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATOR = _generator()
PAGES = GENERATOR.pages()


@pytest.mark.parametrize("name", sorted(PAGES))
def test_generated_page_is_current(name):
    committed = ROOT / name
    assert committed.is_file(), f"{name} is missing: run {GENERATOR.COMMAND}"
    assert committed.read_text() == PAGES[name], f"{name} is stale: run {GENERATOR.COMMAND} and commit it"


def test_every_contract_column_is_on_the_tables_page():
    page = PAGES[GENERATOR.TABLES_PAGE]
    for contract in GENERATOR.contracts():
        assert f"## {contract.table}\n" in page
        for column in contract.columns:
            assert f"| `{column.name}` | `{column.type}` |" in page, f"{contract.table}.{column.name}"


def test_every_foreign_key_is_in_the_join_diagram():
    diagram = GENERATOR.join_diagram(GENERATOR.contracts())
    for contract in GENERATOR.contracts():
        for fk in contract.foreign_keys:
            line = next((ln for ln in diagram.splitlines() if ln.strip().startswith(f"{fk.table} ")
                         and f"o{{ {contract.table} :" in ln), "")
            assert fk.column in line, f"{contract.table}.{fk.column} -> {fk.table}"


def test_every_configuration_key_is_on_the_configuration_page():
    import yaml

    def leaves(tree, prefix=""):
        for key, value in tree.items():
            path = f"{prefix}{key}"
            yield path
            if isinstance(value, dict):
                yield from leaves(value, path + ".")

    page = PAGES[GENERATOR.CONFIGURATION_PAGE]
    declared = yaml.safe_load(GENERATOR.DEFAULTS.read_text())
    shown = {line.split("`")[1] for line in page.splitlines() if line.startswith("| `")}
    top_sections = {f"## {key}" for key, value in declared.items() if isinstance(value, dict)}
    missing = [p for p in leaves(declared) if p not in shown and f"## {p}" not in top_sections
               and not any(p.startswith(s + ".") for s in shown)]
    assert missing == []


def test_every_command_is_on_the_cli_page():
    page = PAGES[GENERATOR.CLI_PAGE]
    for name, _help, command in GENERATOR._commands(GENERATOR.build_parser()):
        assert f"\n## {name}\n" in page
        for action in command._actions:
            for flag in action.option_strings if action.dest != "help" else ():
                assert f"`{flag}" in page, f"{name} {flag}"


def _slug(heading: str) -> str:
    """The anchor GitHub and MkDocs give a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"\s+", "-", re.sub(r"[^\w\s-]", "", heading).strip().lower())


@pytest.mark.parametrize("name", ["README.md", "CONTRIBUTING.md", "CHANGELOG.md"])
def test_links_of_the_top_level_pages_resolve(name):
    """mkdocs --strict checks the links of docs/; these pages live outside it, so their relative links are checked here."""
    text = (ROOT / name).read_text()
    broken = []
    for target in re.findall(r"\]\(([^)#\s]*)(#[^)\s]*)?\)", text):
        path, anchor = target
        if re.match(r"[a-z]+://", path):
            continue
        file = ROOT / path if path else ROOT / name
        if not file.exists():
            broken.append(path)
        elif anchor and file.suffix == ".md":
            headings = re.findall(r"^#+\s+(.*)$", file.read_text(), flags=re.MULTILINE)
            if anchor[1:] not in {_slug(h) for h in headings}:
                broken.append(path + anchor)
    assert broken == [], f"{name}: broken links {broken}"

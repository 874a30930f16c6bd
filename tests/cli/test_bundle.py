"""The Databricks Asset Bundle checked against the project: entry point, notebook, parameters, compute.

No Databricks CLI here: these checks read the YAML themselves. The entry point is checked against
pyproject.toml's scripts (building a wheel is too slow for this suite); tests/deployment checks the built wheel.
"""

from __future__ import annotations

import ast
import fnmatch
import importlib
import re

import pytest
import tomllib

from retail_synth.cli.main import DEFAULT_PRESET, build_parser
from retail_synth.spec.configuration import resolve
from tests.support import databricks_bundle as dab

PYPROJECT = tomllib.loads((dab.ROOT / "pyproject.toml").read_text())
GENERATION_PARAMETERS = {"preset", "seed", "catalog", "schema"}
WHEEL_GLOB = "dist/retail_synth-*-py3-none-any.whl"        # what `make dist` builds


def _wheel_tasks() -> dict[str, dict]:
    return {key: task for key, task in dab.tasks().items() if "python_wheel_task" in task}


def _options(command: str) -> set[str]:
    subparser = build_parser()._subparsers._group_actions[0].choices[command]
    return {option for action in subparser._actions for option in action.option_strings}


def _notebook_widget_defaults() -> dict[str, object]:
    """The notebook's WIDGET_DEFAULTS: each widget name with its default where it is a literal (else None)."""
    tree = ast.parse((dab.ROOT / "notebooks" / "generate_retail_data.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "WIDGET_DEFAULTS" for t in node.targets):
            return {key.value: value.value if isinstance(value, ast.Constant) else None
                    for key, value in zip(node.value.keys, node.value.values, strict=True)}
    raise AssertionError("the notebook defines no WIDGET_DEFAULTS")


def _notebook_widgets() -> list[str]:
    """The widget names of the notebook: the keys of its WIDGET_DEFAULTS."""
    return list(_notebook_widget_defaults())


def test_wheel_tasks_call_the_console_entry_point_of_this_package():
    assert _wheel_tasks(), "no python_wheel_task"
    scripts = PYPROJECT["project"]["scripts"]
    for key, task in _wheel_tasks().items():
        wheel_task = task["python_wheel_task"]
        assert wheel_task["package_name"].replace("_", "-") == PYPROJECT["project"]["name"], key
        assert wheel_task["entry_point"] in scripts, key
        module, function = scripts[wheel_task["entry_point"]].split(":")
        assert callable(getattr(importlib.import_module(module), function)), key


def test_notebook_task_runs_the_notebook_in_the_repository():
    notebooks = [t["notebook_task"]["notebook_path"] for t in dab.tasks().values() if "notebook_task" in t]
    assert len(notebooks) == 1
    path = (dab.job()[1].parent / notebooks[0]).resolve()
    assert path == dab.ROOT / "notebooks" / "generate_retail_data.py"
    assert path.read_text().startswith("# Databricks notebook source")


@pytest.mark.parametrize("task_key", ["generate_wheel", "validate"])
def test_every_job_parameter_of_a_wheel_task_is_a_flag_of_its_command(task_key):
    arguments = _wheel_tasks()[task_key]["python_wheel_task"]["parameters"]
    command, options = arguments[0], _options(arguments[0])
    for i, argument in enumerate(arguments):
        for name in dab.referenced_parameters(argument):
            assert arguments[i - 1] == f"--{name}" and f"--{name}" in options, (task_key, name)
    args = build_parser().parse_args(dab.with_defaults(arguments))        # argparse's own checks, defaults filled in
    assert args.command == command


def test_both_generators_take_preset_seed_catalog_and_schema():
    generate = _wheel_tasks()["generate_wheel"]["python_wheel_task"]["parameters"]
    assert {n for a in generate for n in dab.referenced_parameters(a)} == GENERATION_PARAMETERS
    assert set(_notebook_widgets()) == GENERATION_PARAMETERS       # job parameters reach a notebook as its widgets
    assert GENERATION_PARAMETERS | {"generator"} == set(dab.parameter_defaults())
    assert {f"--{name}" for name in GENERATION_PARAMETERS} <= _options("generate")


def test_job_parameter_defaults_are_the_cli_defaults():
    defaults = dab.parameter_defaults()
    assert defaults["preset"] == DEFAULT_PRESET
    assert defaults["seed"] == str(resolve(preset=DEFAULT_PRESET).seed)
    resolve(preset=defaults["preset"], seed=int(defaults["seed"]))


def test_one_generator_runs_then_validate():
    tasks = dab.tasks()
    condition = tasks["choose_generator"]["condition_task"]
    assert dab.referenced_parameters(condition["left"]) == ["generator"] and condition["right"] == "notebook"
    chosen = {key: tasks[key]["depends_on"] for key in ("generate_notebook", "generate_wheel")}
    assert chosen == {"generate_notebook": [{"task_key": "choose_generator", "outcome": "true"}],
                      "generate_wheel": [{"task_key": "choose_generator", "outcome": "false"}]}
    assert {d["task_key"] for d in tasks["validate"]["depends_on"]} == {"generate_notebook", "generate_wheel"}
    assert tasks["validate"]["run_if"] == "AT_LEAST_ONE_SUCCESS"
    assert dab.parameter_defaults()["generator"] in ("notebook", "wheel")


def test_serverless_is_the_default_target_and_installs_the_built_wheel():
    targets = dab.bundle()["targets"]
    assert [name for name, target in targets.items() if target.get("default")] == ["serverless"]
    environments = {e["environment_key"]: e for e in dab.target_job("serverless")["environments"]}
    for key, task in dab.target_tasks("serverless").items():
        assert "job_cluster_key" not in task and "libraries" not in task, key
        if key in _wheel_tasks():
            dependencies = environments[task["environment_key"]]["spec"]["dependencies"]
            assert any(fnmatch.fnmatch(WHEEL_GLOB, d.removeprefix("./")) for d in dependencies), key


def test_classic_target_runs_every_task_on_its_job_cluster_with_the_wheel():
    clusters = {c["job_cluster_key"] for c in dab.target_job("classic")["job_clusters"]}
    for key, task in dab.target_tasks("classic").items():
        if "condition_task" in task:
            continue
        assert task.get("job_cluster_key") in clusters, key
        if key in _wheel_tasks():
            assert any(fnmatch.fnmatch(WHEEL_GLOB, lib["whl"].removeprefix("./")) for lib in task["libraries"]), key


def test_the_bundle_builds_the_wheel_with_make_dist():
    artifacts = dab.bundle()["artifacts"]
    assert [a["build"] for a in artifacts.values() if a["type"] == "whl"] == ["make dist"]


def test_the_notebook_defaults_to_the_bundles_catalog_and_schema():
    variables = dab.bundle()["variables"]
    widgets = _notebook_widget_defaults()
    assert (widgets["catalog"], widgets["schema"]) == (variables["catalog"]["default"], variables["schema"]["default"])


def test_every_bundle_variable_used_is_declared_with_a_default():
    variables = dab.bundle()["variables"]
    used = {name for path in [dab.BUNDLE_FILE, *dab.resource_files()]
            for name in re.findall(r"\$\{var\.(\w+)\}", path.read_text())}
    assert used and used <= set(variables)
    assert all("default" in spec and spec.get("description") for spec in variables.values())


def test_the_classic_node_type_is_a_variable_naming_each_clouds_equivalent():
    cluster = dab.target_job("classic")["job_clusters"][0]["new_cluster"]
    assert cluster["node_type_id"] == "${var.node_type}"
    description = dab.bundle()["variables"]["node_type"]["description"]
    assert all(word in description for word in ("AWS", "Azure", "GCP"))

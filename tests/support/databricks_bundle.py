"""The project's Databricks Asset Bundle as data: databricks.yml with its included resource files, per target."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
BUNDLE_FILE = ROOT / "databricks.yml"
JOB = "retail_synth"
_VARIABLE = re.compile(r"\$\{var\.(\w+)\}")
_JOB_PARAMETER = re.compile(r"\{\{job\.parameters\.(\w+)\}\}")


def bundle() -> dict:
    return yaml.safe_load(BUNDLE_FILE.read_text())


def resource_files() -> list[Path]:
    return sorted(p for pattern in bundle()["include"] for p in ROOT.glob(pattern))


def job() -> tuple[dict, Path]:
    """The job's top-level definition and the file it is declared in (relative paths start there)."""
    found = []
    for path in resource_files():
        jobs = (yaml.safe_load(path.read_text()) or {}).get("resources", {}).get("jobs") or {}
        if JOB in jobs:
            found.append((jobs[JOB], path))
    assert len(found) == 1, f"job {JOB} is declared {len(found)} times"
    return found[0]


def tasks() -> dict[str, dict]:
    return {task["task_key"]: task for task in job()[0]["tasks"]}


def target_tasks(target: str) -> dict[str, dict]:
    """Each task as the target deploys it: the top-level task with the target's override merged in."""
    merged = {key: dict(task) for key, task in tasks().items()}
    override = bundle()["targets"][target].get("resources", {}).get("jobs", {}).get(JOB, {})
    for task in override.get("tasks", []):
        assert task["task_key"] in merged, f"target {target} overrides an unknown task {task['task_key']}"
        merged[task["task_key"]].update(task)
    return merged


def target_job(target: str) -> dict:
    return bundle()["targets"][target].get("resources", {}).get("jobs", {}).get(JOB, {})


def parameter_defaults() -> dict[str, str]:
    """Job parameters with their defaults, bundle variables filled in."""
    variables = {name: spec["default"] for name, spec in bundle().get("variables", {}).items()}
    return {p["name"]: _VARIABLE.sub(lambda m: str(variables[m[1]]), str(p["default"])) for p in job()[0]["parameters"]}


def referenced_parameters(text: str) -> list[str]:
    """The job parameters `{{job.parameters.NAME}}` in one task argument."""
    return _JOB_PARAMETER.findall(text)


def with_defaults(arguments: list[str]) -> list[str]:
    """Task arguments with every job parameter replaced by its default."""
    defaults = parameter_defaults()
    return [_JOB_PARAMETER.sub(lambda m: defaults[m[1]], argument) for argument in arguments]

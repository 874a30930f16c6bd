"""The public API at the top of the package: what it names, and that importing it leaves PySpark unloaded."""

import subprocess
import sys
from importlib.metadata import version

import retail_synth


def python(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_importing_the_package_and_its_configuration_does_not_import_pyspark():
    loaded = python("import sys, retail_synth, retail_synth.spec.configuration\n"
                    "retail_synth.load_config(preset='tiny'); retail_synth.ConfigError\n"
                    "print('pyspark' in sys.modules)")
    assert loaded == "False"


def test_a_spark_name_loads_pyspark_on_first_use():
    assert python("import sys, retail_synth\nretail_synth.generate\nprint('pyspark' in sys.modules)") == "True"


def test_every_public_name_resolves_and_is_listed():
    for name in retail_synth.__all__:
        assert getattr(retail_synth, name) is not None, name
    assert set(retail_synth.__all__) == {"__version__", *retail_synth._EXPORTS}
    assert set(retail_synth.__all__) <= set(dir(retail_synth))
    assert {"generate", "validate", "load_config", "Target", "RunSummary", "RunRefused", "RunAborted",
            "ConfigError", "TargetError"} <= set(retail_synth.__all__)
    assert retail_synth.__version__ == version("retail-synth")

"""Session selection without Spark: Connect URLs, the parallelism of a Connect session, the embedded catalog's folders."""

import subprocess
import sys
from pathlib import Path

import pytest

from retail_synth.spark.session import (
    JVM_OPTION_VARIABLES,
    THROUGHPUT_COLLECTOR,
    RemoteError,
    check_remote,
    default_parallelism,
    embedded_conf,
    is_connect,
    remote_from,
)

BIN = Path(sys.executable).parent


@pytest.mark.parametrize("url", ["local", "local[2]", "local[*]", "local[4,3]", "sc://localhost", "sc://db:15002/;token=x"])
def test_connect_urls_accepted(url):
    assert check_remote(f" {url} ") == url


@pytest.mark.parametrize("url", ["", "  ", "local[0]", "local[x]", "yarn", "sc://", "http://host:15002"])
def test_bad_connect_urls_rejected(url):
    with pytest.raises(RemoteError):
        check_remote(url)


def test_flag_wins_over_spark_remote_and_spark_remote_is_checked():
    assert remote_from("local[2]", {"SPARK_REMOTE": "sc://elsewhere"}) == "local[2]"
    assert remote_from(None, {"SPARK_REMOTE": "sc://elsewhere"}) == "sc://elsewhere"
    assert remote_from(None, {}) is None
    with pytest.raises(RemoteError, match="SPARK_REMOTE"):
        remote_from(None, {"SPARK_REMOTE": ""})


def test_local_server_refused_under_spark_submit():
    with pytest.raises(RemoteError, match="spark-submit"):
        remote_from("local[2]", {"PYSPARK_GATEWAY_PORT": "1234"})
    assert remote_from("sc://host:15002", {"PYSPARK_GATEWAY_PORT": "1234"}) == "sc://host:15002"


class _Conf:
    def __init__(self, values):
        self.values = values

    def get(self, key, default=None):
        return self.values.get(key, default)


def _connect_session(**conf):
    """A stand-in for a Connect session: only its module and its conf matter to default_parallelism."""
    fake = type("SparkSession", (), {"__module__": "pyspark.sql.connect.session"})()
    fake.conf = _Conf(conf)
    return fake


def test_default_parallelism_of_a_connect_session(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 6)
    assert is_connect(_connect_session())
    assert default_parallelism(_connect_session(**{"spark.default.parallelism": "8", "spark.master": "local[2]"})) == 8
    assert default_parallelism(_connect_session(**{"spark.master": "local[3]"})) == 3
    assert default_parallelism(_connect_session(**{"spark.master": "local[*]"})) == 6
    assert default_parallelism(_connect_session(**{"spark.master": "local"})) == 1
    assert default_parallelism(_connect_session(**{"spark.master": "spark://host:7077"})) == 2
    assert default_parallelism(_connect_session()) == 2


def test_embedded_catalog_lives_under_retail_synth_home(tmp_path, monkeypatch):
    monkeypatch.setenv("RETAIL_SYNTH_HOME", str(tmp_path / "home"))
    conf = embedded_conf()
    assert conf["spark.sql.catalogImplementation"] == "hive"
    assert f"databaseName={tmp_path / 'home' / 'metastore_db'};" in conf["spark.hadoop.javax.jdo.option.ConnectionURL"]
    assert conf["spark.sql.warehouse.dir"] == str(tmp_path / "home" / "spark-warehouse")
    assert f"-Dderby.stream.error.file={tmp_path / 'home' / 'derby.log'}" in conf["spark.driver.extraJavaOptions"]
    paths_only = embedded_conf(persistent_catalog=False)
    assert "spark.sql.catalogImplementation" not in paths_only and "derby" not in paths_only["spark.driver.extraJavaOptions"]


@pytest.fixture
def no_jvm_options(monkeypatch):
    """An environment without JVM options (the shared session's fixture sets SPARK_SUBMIT_OPTS)."""
    for name in JVM_OPTION_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_embedded_jvm_collects_with_the_throughput_collector(no_jvm_options):
    no_jvm_options.setenv("JAVA_TOOL_OPTIONS", "-Xss4m")
    assert THROUGHPUT_COLLECTOR in embedded_conf(persistent_catalog=False)["spark.driver.extraJavaOptions"].split()


@pytest.mark.parametrize("name", JVM_OPTION_VARIABLES)
def test_a_collector_chosen_in_the_environment_is_left_alone(no_jvm_options, name):
    """Two collector choices would stop the JVM before Spark starts."""
    no_jvm_options.setenv(name, "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
    assert "GC" not in embedded_conf(persistent_catalog=False)["spark.driver.extraJavaOptions"]


@pytest.mark.parametrize("args", [
    ["validate", "--remote", "", "--output", "warehouse"],
    ["generate", "--preset", "tiny", "--remote", "yarn"],
    ["report", "--remote", "local[0]"],
])
def test_bad_remote_exits_2_with_one_line_before_spark(tmp_path, args):
    result = subprocess.run([str(BIN / "retail-synth"), *args], cwd=tmp_path, capture_output=True, text=True,
                            check=False, timeout=60)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Spark Connect URL" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_empty_spark_remote_exits_2(tmp_path):
    result = subprocess.run([str(BIN / "retail-synth"), "generate", "--preset", "tiny"], cwd=tmp_path,
                            capture_output=True, text=True, check=False, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "SPARK_REMOTE": ""})
    assert result.returncode == 2 and result.stderr.startswith("retail-synth: error: SPARK_REMOTE:")
    assert list(tmp_path.iterdir()) == []

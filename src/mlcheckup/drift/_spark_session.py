"""A quiet local Spark session for the course: ``local[N]``, bound to 127.0.0.1, no UI, no JVM chatter."""

from __future__ import annotations

import contextlib
import os
import warnings

from .. import _validate

__all__ = ["local_session"]

#: PySpark 4.3 warns at session start that it does not fully support pandas >= 3; drift.spark uses no
#: pandas-on-Spark or Arrow path, which is what the warning is about.
PANDAS_WARNING = "PySpark does not yet fully support pandas"


@contextlib.contextmanager
def _jvm_stderr_silenced():
    """Point file descriptor 2 at /dev/null while the JVM starts, so the JVM inherits it (its log4j banner,
    the hostname and native-library warnings never reach a notebook's stderr); Python's stderr is restored."""
    saved = os.dup(2)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def local_session(app_name: str = "mlcheckup", cores: int = 2, shuffle_partitions: int = 2):
    """Start (or reuse) a local Spark session as the course runs it: ``local[cores]`` on 127.0.0.1.

    Parameters
    ----------
    app_name : str
        The application's name.
    cores : int
        Worker threads of ``local[cores]``.
    shuffle_partitions : int
        ``spark.sql.shuffle.partitions`` (Spark's 200 is made for clusters; a laptop wants its core count).

    Returns
    -------
    pyspark.sql.SparkSession
        Stop it with ``session.stop()`` when done. The JVM's own log lines go to /dev/null; Spark's
        errors still reach Python as exceptions.
    """
    cores = _validate.whole("cores", cores, 1, hint="; local[N] runs N worker threads")
    shuffle_partitions = _validate.whole("shuffle_partitions", shuffle_partitions, 1)
    from pyspark.sql import SparkSession

    warnings.filterwarnings("ignore", message=PANDAS_WARNING, category=FutureWarning)
    builder = (SparkSession.builder.master(f"local[{cores}]").appName(app_name)
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
               .config("spark.default.parallelism", str(cores))
               .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1"))
    with _jvm_stderr_silenced():
        session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session

"""Grade a class beyond one machine: K shards, each an Azure ML command job, merged into one gradebook.

1. ``pack``: the submissions are dealt to K shards by student (all of a student's lessons in one
   shard); each shard folder holds ``submitted/<student>/<lesson>/`` and ``template.db`` (the course's
   gradebook without submissions, so due dates and students are the instructor's).
2. Upload each shard folder (e.g. ``az storage blob upload-batch``, or ``ml_client.data.create_or_update(
   Data(path=folder, type="uri_folder"))``) and submit :func:`command_job` for it: the repository is the
   job's code, its environment is built from ``grading/azureml-env/`` (a Dockerfile installing the
   course lock ``requirements.txt`` and bubblewrap), the shard is its ``uri_folder`` input and its
   gradebook its ``uri_folder`` output. The job runs ``python grading/shards.py run``, which is
   :func:`batch.grade` on the shard (``SANDBOX`` as the instructor chooses; ``refuse`` by default, so
   a node that cannot run bubblewrap fails the shard rather than grade unsandboxed).
3. Download each job's ``gradebook`` output (``az ml job download --output-name gradebook``) and
   ``merge`` them into the course's gradebook (:func:`gradebooks.merge`).

Jobs are built and validated offline (:func:`validated_yaml`: the SDK's own checks and a YAML dump →
``load_job`` round trip); nothing here talks to Azure.

    python grading/shards.py pack --shards K [--out build/shards]   # + one job YAML per shard
    python grading/shards.py run --input DIR --output DIR [--workers N]
    python grading/shards.py merge SHARD_OUTPUT_DIR...              # into grading/gradebook.db
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import batch
from gradebooks import merge, template

__all__ = ["command_job", "environment_context", "merge_shards", "pack", "run", "split", "validated_yaml"]

ROOT = batch.ROOT
#: The jobs' image: Azure ML's Ubuntu base, bubblewrap for the sandbox, Python 3.11 with the course lock.
DOCKERFILE = """\
FROM mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest
RUN apt-get update && apt-get install -y --no-install-recommends bubblewrap && rm -rf /var/lib/apt/lists/*
COPY requirements.txt /tmp/requirements.txt
RUN conda create -y -p /opt/mlcheckup python=3.11 pip && /opt/mlcheckup/bin/python -m pip install \\
    --no-cache-dir -r /tmp/requirements.txt
ENV PATH=/opt/mlcheckup/bin:$PATH
"""
#: Where ``pack``'s job YAMLs point their input: one folder per shard on the workspace's blob store.
DATASTORE = "azureml://datastores/workspaceblobstore/paths/mlcheckup-grading"
#: What a YAML round trip must keep.
KEPT = ("command", "code", "inputs", "outputs", "compute", "environment_variables", "display_name",
        "experiment_name", "environment")


def split(pairs: list[tuple[str, str]], shards: int) -> list[list[tuple[str, str]]]:
    """Deal (student, lesson) pairs to ``shards`` lists, all of a student's lessons in one, by turns."""
    if shards < 1:
        raise ValueError(f"shards must be at least 1; received {shards}")
    students = sorted({s for s, _ in pairs})
    home = {s: i % shards for i, s in enumerate(students)}
    out = [[] for _ in range(shards)]
    for pair in sorted(pairs):
        out[home[pair[0]]].append(pair)
    return [shard for shard in out if shard]


def pack(course: batch.Course, shards: int, out: Path, pairs: list[tuple[str, str]] | None = None) -> list[Path]:
    """Write one folder per shard under ``out``: its ``submitted/`` tree and ``template.db``.

    ``pairs`` (student, lesson) are every submission of ``course`` if omitted.
    """
    if out.exists() and any(not (p.name.startswith("shard-") or p.name == "environment") for p in out.iterdir()):
        raise FileExistsError(f"{out} holds files that are not shards; choose an empty or new folder for --out")
    shutil.rmtree(out, ignore_errors=True)
    blank = template(ROOT / course.db, out / "template.db")
    folders = []
    for i, dealt in enumerate(split(batch.find(course) if pairs is None else pairs, shards), start=1):
        folder = out / f"shard-{i}"
        for student, lesson in dealt:
            shutil.copytree(ROOT / course.submitted / student / lesson, folder / "submitted" / student / lesson)
        shutil.copyfile(blank, folder / "template.db")
        folders.append(folder)
    (out / "template.db").unlink()
    return folders


def run(shard: Path, output: Path, workers: int | None = None, sandbox: bool = True,
        config: dict | None = None, progress: bool = True) -> list[batch.Result]:
    """Grade one shard folder into ``output``: ``gradebook.db``, ``report.tsv`` and ``autograded/`` (the job's body).

    The notebooks run inside the repository (lessons find ``datasets/`` by walking up), in
    ``grading/autograded-<output name>/``, then move to ``output/autograded/`` for the feedback.
    """
    output.mkdir(parents=True, exist_ok=True)
    db = shutil.copyfile(shard / "template.db", output / "gradebook.db")
    work = ROOT / "build" / f"shard-work-{output.name}"
    autograded = f"grading/autograded-{output.name}"
    course = batch.Course(submitted=str(shard.resolve() / "submitted"), db=str(db.resolve()),
                          autograded=autograded, work=str(work.resolve()), config=config or {}, sandbox=sandbox)
    results = batch.grade(course, workers=workers, progress=progress)
    batch.write_report(results, output / "report.tsv")
    shutil.rmtree(work, ignore_errors=True)
    if (ROOT / autograded).is_dir():
        shutil.rmtree(output / "autograded", ignore_errors=True)
        shutil.move(ROOT / autograded, output / "autograded")
    return results


def merge_shards(course_db: Path, outputs: list[Path], autograded: Path | None = None) -> list[tuple[str, str]]:
    """Merge each shard's output folder (a job's downloaded ``gradebook`` output) into the course.

    Its ``gradebook.db`` goes into ``course_db``; its ``autograded/`` notebooks (what the feedback is
    made from) into ``autograded`` if given.
    """
    merged = []
    for folder in map(Path, outputs):
        merged += merge(course_db, folder / "gradebook.db")
        if autograded is not None and (folder / "autograded").is_dir():
            shutil.copytree(folder / "autograded", autograded, dirs_exist_ok=True)
    return merged


def environment_context(out: Path) -> Path:
    """Write the jobs' Docker build context to ``out``: :data:`DOCKERFILE` and the course lock."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "Dockerfile").write_text(DOCKERFILE)
    shutil.copyfile(ROOT / "requirements.txt", out / "requirements.txt")
    return out


def command_job(shard: int, submissions: str, context: Path, *, compute: str = "cpu-cluster", workers: int = 4,
                sandbox: str = "refuse", experiment: str = "mlcheckup-grading"):
    """The Azure ML command job that grades one shard.

    Parameters
    ----------
    shard : int
        The shard's number (1-based), in the job's display name.
    submissions : str
        The shard folder (``pack``'s ``shard-<i>``) once uploaded: an ``azureml://datastores/...`` URI
        or a data asset ``azureml:<name>:<version>``.
    context : pathlib.Path
        The environment's build context (:func:`environment_context`).
    compute : str
        A compute cluster; size it with ``workers`` (one per core).
    workers : int
        Grading processes on the node.
    sandbox : {"refuse", "degrade", "off"}
        ``SANDBOX`` for ``grading/sandbox.py`` on the node.
    experiment : str
        The experiment the jobs are grouped in.

    Returns
    -------
    azure.ai.ml.entities.CommandJob
        Submit with ``ml_client.jobs.create_or_update(job)``; never sent here.
    """
    from azure.ai.ml import Input, Output
    from azure.ai.ml.entities import BuildContext, CommandJob, Environment

    if sandbox not in ("refuse", "degrade", "off"):
        raise ValueError(f"sandbox must be refuse, degrade or off; received {sandbox!r}")
    return CommandJob(
        display_name=f"grade shard {shard}", experiment_name=experiment, compute=compute,
        code=str(ROOT),  # uploaded without what .gitignore lists (.venv, build/, grading's working folders)
        command=("python -m pip install --quiet --no-deps --no-build-isolation --editable . && "
                 "python grading/shards.py run --input ${{inputs.submissions}} "
                 f"--output ${{{{outputs.gradebook}}}} --workers {workers}"),
        environment=Environment(build=BuildContext(path=str(context))),
        environment_variables={"SANDBOX": sandbox, "PYTHONWARNINGS": "ignore:Object of type:Warning"},
        inputs={"submissions": Input(type="uri_folder", path=submissions, mode="ro_mount")},
        outputs={"gradebook": Output(type="uri_folder", mode="rw_mount")},
    )


@contextmanager
def _quiet_sdk():
    """Drop azure-ai-ml's "experimental class" log lines inside the block."""
    logger = logging.getLogger("azure.ai.ml._utils._experimental")
    drop = logging.Filter()
    drop.filter = lambda record: "experimental" not in record.getMessage()
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)


def validated_yaml(job, path: Path) -> str:
    """Write the job's YAML to ``path`` after the SDK's checks and a dump → ``load_job`` round trip."""
    from azure.ai.ml import load_job

    with _quiet_sdk():
        job._validate()  # the checks the SDK runs before submitting
        job.dump(path)
        loaded = load_job(path)._to_job()
    before, after = job._to_dict(), loaded._to_dict()
    changed = [k for k in KEPT if before.get(k) != after.get(k)]
    if changed:
        raise ValueError(f"the command job for {path.name} changes in a YAML round trip, in {changed}")
    return path.read_text()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="step", required=True)
    p = sub.add_parser("pack", help="split the submissions into shard folders and write one job YAML each")
    p.add_argument("--shards", type=int, required=True)
    p.add_argument("--out", default="build/shards")
    p.add_argument("--compute", default="cpu-cluster")
    p.add_argument("--workers", type=int, default=4)
    r = sub.add_parser("run", help="grade one shard (what each job runs)")
    r.add_argument("--input", required=True)
    r.add_argument("--output", required=True)
    r.add_argument("--workers", type=int, default=None)
    m = sub.add_parser("merge", help="merge the jobs' gradebook outputs into grading/gradebook.db")
    m.add_argument("outputs", nargs="+")
    args = parser.parse_args(argv)
    if args.step == "pack":
        out = ROOT / args.out
        folders = pack(batch.Course(), args.shards, out)
        if not folders:
            print(f"no submissions in {batch.Course().submitted}/<student>/<lesson>/: nothing to shard")
        context = environment_context(out / "environment")
        for folder in folders:
            job = command_job(int(folder.name.split("-")[1]), f"{DATASTORE}/{folder.name}/", context,
                              compute=args.compute, workers=args.workers)
            validated_yaml(job, out / f"{folder.name}.yml")
            count = len(batch.find(batch.Course(submitted=str(folder / "submitted"))))
            print(f"{folder.name}: {count} submissions; upload {folder} to {DATASTORE}/{folder.name}/, "
                  f"then: az ml job create -f {out / folder.name}.yml")
    elif args.step == "run":
        results = run(Path(args.input), Path(args.output), args.workers)
        print(batch.write_report(results, Path(args.output) / "report.tsv"))
    else:
        done = merge_shards(ROOT / batch.Course().db, [Path(o) for o in args.outputs], ROOT / batch.Course().autograded)
        print(f"merged {len(done)} submissions into {batch.Course().db}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

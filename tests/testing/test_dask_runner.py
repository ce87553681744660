"""difflab fuzz --scheduler: the chunks on a Dask cluster (a LocalCluster of two worker processes on
127.0.0.1) give the local run's examples and verdicts for the same seed; refusals in one line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from difflab.cli.entry import main
from difflab.testing import dask_runner, fuzz_runner
from difflab.testing.fuzz_runner import run_fuzz

PROPERTIES = ["exact-gradients-agree"]


@pytest.fixture(scope="module")
def scheduler():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                                       dashboard_address=None)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def _without_timing(report: dict) -> dict:
    return {k: v for k, v in report.items() if k != "seconds"}


def test_the_cluster_gives_the_local_verdicts_for_the_same_seed(scheduler, monkeypatch):
    # Chunks of 3: 6 examples are two chunks, two chunks on two workers, finishing in any
    # order; each chunk's seed comes from its position, so the placement cannot change what it draws.
    monkeypatch.setattr(fuzz_runner, "CHUNK", 3)
    lines: list[str] = []
    remote = run_fuzz(examples=6, seed=4, properties=PROPERTIES, scheduler=scheduler, progress=lines.append)
    local = run_fuzz(examples=6, seed=4, properties=PROPERTIES, workers=1)
    assert _without_timing(remote) == _without_timing(local)
    assert remote["properties"] == {name: {"passed": 6, "failed": 0} for name in PROPERTIES}
    assert lines[0] == f"Dask scheduler {scheduler}: 2 workers, 2 chunks"
    assert [line.split("]")[0] for line in lines[1:]] == ["[1/2", "[2/2"]


def test_cli_json_from_the_cluster_equals_the_local_json(scheduler, capsys):
    common = ["fuzz", "--examples", "6", "--seed", "9", "--json", "--property", "hessians-symmetric-and-agree"]
    assert main(common + ["--scheduler", scheduler]) == 0
    remote, err = capsys.readouterr()
    assert err == ""  # --json: no progress lines
    assert main(common + ["--workers", "1"]) == 0
    local, _ = capsys.readouterr()
    assert _without_timing(json.loads(remote)) == _without_timing(json.loads(local))
    assert json.loads(remote)["properties"] == {"hessians-symmetric-and-agree": {"passed": 6, "failed": 0}}


def test_no_hypothesis_folder_left_in_the_workers_cwd(scheduler, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run_fuzz(examples=2, seed=1, properties=["exact-gradients-agree"], scheduler=scheduler)
    assert not (tmp_path / ".hypothesis").exists()


def test_ctrl_c_cancels_the_chunks_on_the_cluster(scheduler):
    distributed = pytest.importorskip("distributed")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-m", "difflab.cli", "fuzz", "--examples", "5000", "--seed", "1",
                             "--scheduler", scheduler], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    first = proc.stderr.readline()  # the connected line: the chunks are submitted right after it
    assert first.startswith(f"Dask scheduler {scheduler}: 2 workers, ")
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert [line for line in rest.splitlines() if not line.startswith("[")] == ["difflab: interrupted"]
    with distributed.Client(scheduler, set_as_default=False) as client:
        for _ in range(100):  # the scheduler forgets the cancelled tasks shortly after the client closed
            if not any(client.processing().values()) and not client.who_has():
                break
            time.sleep(0.1)
        assert not any(client.processing().values())


def test_an_address_with_no_scheduler_is_refused_in_one_line(monkeypatch, capsys):
    pytest.importorskip("distributed")
    monkeypatch.setattr(dask_runner, "CONNECT_SECONDS", 1)
    code = main(["fuzz", "--examples", "1", "--scheduler", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("difflab fuzz: error: cannot reach the Dask scheduler at 'tcp://127.0.0.1:9': ")
    assert err.count("\n") == 1


def test_without_dask_the_option_names_the_extra(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed raises ImportError
    code = main(["fuzz", "--examples", "1", "--scheduler", "tcp://127.0.0.1:8786"])
    assert code == 2
    assert capsys.readouterr().err == ("difflab fuzz: error: --scheduler needs Dask distributed: "
                                       "pip install 'difflab[dask]'\n")


@pytest.mark.parametrize("argv, message", [
    (["--scheduler", " "], "--scheduler needs the address of a Dask scheduler, e.g. tcp://host:8786"),
    (["--scheduler", "tcp://127.0.0.1:8786", "--workers", "2"], "argument --workers: not allowed with "
                                                                 "argument --scheduler"),
])
def test_scheduler_option_refusals(argv, message, capsys):
    assert main(["fuzz", "--examples", "1"] + argv) == 2
    assert message in capsys.readouterr().err

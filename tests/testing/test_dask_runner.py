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
from difflab.testing import properties as fp
from difflab.testing.fuzz_runner import run_fuzz
from difflab.testing.strategies import functions

PROPERTIES = ["exact-gradients-agree"]
PLANTED = "planted-on-the-cluster"


# A property with a planted bug, installed in the cluster's worker processes too (this module travels
# by value: the workers cannot import a test module): it refuses any tanh away from 0, so Hypothesis
# finds one and shrinks it to the smallest case, tanh(x) at a small whole x.
def _planted_check(case) -> None:
    f, x = case
    if "tanh" in str(f.expr) and x[0] != 0:
        raise fp.PropertyFailure("planted: tanh away from 0", fp._record(f, x))


def _planted_cases():
    return functions(variables=("x", "y"), max_depth=3, functions=("tanh", "sin", "exp", "add", "multiply"))


def _install_planted() -> None:
    from difflab.testing import properties

    properties.PROPERTIES[PLANTED] = properties.Property(PLANTED, "a planted bug", _planted_cases,
                                                         _planted_check)


@pytest.fixture(scope="module")
def scheduler():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                                       dashboard_address=":0")
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


@pytest.fixture
def planted(scheduler, monkeypatch):
    import cloudpickle
    import distributed

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with distributed.Client(scheduler, set_as_default=False) as client:
        client.run(_install_planted)
    monkeypatch.setitem(fp.PROPERTIES, PLANTED, fp.Property(PLANTED, "a planted bug", _planted_cases,
                                                            _planted_check))
    return PLANTED


def test_the_cluster_gives_the_local_verdicts_for_the_same_seed(scheduler, monkeypatch, without_timing):
    # Chunks of 3: 6 examples are two chunks, two chunks on two workers, finishing in any
    # order; each chunk's seed comes from its position, so the placement cannot change what it draws.
    monkeypatch.setattr(fuzz_runner, "CHUNK", 3)
    ticks: list = []
    remote = run_fuzz(examples=6, seed=4, properties=PROPERTIES, scheduler=scheduler, progress=ticks.append)
    local = run_fuzz(examples=6, seed=4, properties=PROPERTIES, workers=1)
    assert without_timing(remote) == without_timing(local)
    assert remote["properties"] == {name: {"passed": 6, "failed": 0} for name in PROPERTIES}
    assert ticks[0].text == f"Dask scheduler {scheduler}: 2 workers, 2 chunks" and ticks[0].done == 0
    assert [(t.done, t.total, t.failed) for t in ticks[1:]] == [(1, 2, 0), (2, 2, 0)]


def test_cli_json_from_the_cluster_equals_the_local_json(scheduler, capsys, without_timing):
    common = ["fuzz", "--examples", "6", "--seed", "9", "--json", "--property", "hessians-symmetric-and-agree"]
    assert main(common + ["--scheduler", scheduler]) == 0
    remote, err = capsys.readouterr()
    assert err == ""  # --json: no progress lines
    assert main(common + ["--workers", "1"]) == 0
    local, _ = capsys.readouterr()
    assert without_timing(json.loads(remote)) == without_timing(json.loads(local))
    assert json.loads(remote)["properties"] == {"hessians-symmetric-and-agree": {"passed": 6, "failed": 0}}


def test_no_hypothesis_folder_left_in_the_workers_cwd(scheduler, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run_fuzz(examples=2, seed=1, properties=["exact-gradients-agree"], scheduler=scheduler)
    assert not (tmp_path / ".hypothesis").exists()


def test_ctrl_c_cancels_the_chunks_on_the_cluster(scheduler):
    distributed = pytest.importorskip("distributed")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-m", "difflab.cli", "fuzz", "--examples", "5000", "--seed", "1",
                             "--scheduler", scheduler, "--progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
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


def test_a_failure_found_on_the_cluster_shrinks_there_and_replays_here(scheduler, planted, capsys, without_timing):
    remote = run_fuzz(examples=60, seed=5, properties=[planted], scheduler=scheduler)
    local = run_fuzz(examples=60, seed=5, properties=[planted], workers=1)
    assert without_timing(remote) == without_timing(local)  # found and shrunk alike, wherever it ran
    assert remote["properties"][planted]["failed"] >= 1
    failure = remote["failures"][0]
    assert failure["expression"] == "tanh(x)" and failure["point"]["x"] != 0  # the smallest failing case
    assert main(["fuzz", "--replay", failure["replay"]]) == 1  # here, in this process
    out = capsys.readouterr().out
    assert out.startswith(f"REPRODUCED {failure['replay']}\nFAILED {planted}: planted: tanh away from 0")
    assert f"  point:      x={failure['point']['x']!r}, y={failure['point']['y']!r}" in out


def test_the_cluster_run_prints_the_command_that_replays_each_failure(scheduler, planted, capsys):
    assert main(["fuzz", "--examples", "50", "--seed", "5", "--property", planted, "--scheduler", scheduler]) == 1
    out = capsys.readouterr().out
    token = next(line.split("--replay ")[1] for line in out.splitlines() if "--replay" in line)
    assert f"  replay here: difflab fuzz --replay {token}" in out
    name, seed, examples = token.split(":")
    assert name == planted and int(examples) == 50
    assert int(seed) == fuzz_runner._chunks(50, 5, [planted])[0][3]  # the chunk's own seed, from the run's


# ---------------------------------------------------------------------- batches of functions (--file)
BATCH = "exp(x)*sin(y) ; x=1,y=2\n(t**2 - 4)/(t - 2) ; t=2\nlog(x ; x=1\nx**3*y ; x=0.5,y=-1\n"


@pytest.mark.parametrize("command, options", [
    ("compare", ["--methods", "symbolic,reverse,fd-central,richardson"]),
    ("sweep", ["--schemes", "central,complex-step", "--per-decade", "2"]),
])
def test_a_batch_on_the_cluster_gives_the_local_results(scheduler, tmp_path, capsys, command, options, without_timing):
    path = tmp_path / "funcs.txt"
    path.write_text(BATCH)
    common = [command, "--file", str(path), *options, "--json"]
    assert main([*common, "--scheduler", scheduler]) == 2  # line 3 does not parse; the others are done
    remote, remote_err = capsys.readouterr()
    assert main([*common, "--workers", "1"]) == 2
    local, local_err = capsys.readouterr()
    assert remote_err == local_err == f"difflab {command}: error: line 3: cannot parse expression at position " \
                                      "4: unbalanced parenthesis: '(' is never closed\n"
    assert without_timing(json.loads(remote)) == without_timing(json.loads(local))
    assert [r["line"] for r in json.loads(remote)] == [1, 2, 3, 4]

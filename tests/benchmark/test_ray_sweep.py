"""``bench sweep --executor ray`` on a real two-node Ray cluster started by the tests.

The cluster (a head and a second node, one CPU each, each with its own temporary folder) is
started once for this module and stopped at its end, whatever happens; its processes are
found by their temporary folder and ended by process id, so no other Ray on the machine is
touched. The sweep's result files must equal the local executor's (less the fields that
say when, how fast and on what: created, timings, hardware), a worker killed mid-sweep must
still leave every result written once, and Ctrl-C must cancel what still runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.benchmark.stalling_encoder import STALL_S
from tests.installed import need

REPO = Path(__file__).resolve().parents[2]
RUN_DEPENDENT = ("created", "timings", "hardware")  # when, how fast and on what: not what was computed
STALLING = "py:tests.benchmark.stalling_encoder:build"
START_TIMEOUT_S = 120


@dataclass(frozen=True)
class Cluster:
    address: str
    root: Path  # every file of the cluster lies here: temporary folders, cache, pid files
    env: dict[str, str]  # what a driver needs to join it (its token among them)

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def pids(self) -> Path:
        return self.root / "pids"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def processes_of(cluster: Cluster) -> list[int]:
    """This cluster's processes: those whose command line names its folder or its head's
    address (the client server names only that), and their children (Ray's workers rename
    themselves and keep only their parent, the node's raylet)."""
    port = cluster.address.rpartition(":")[2]
    mine = re.compile(rf"{re.escape(str(cluster.root))}|--address=[\w.]+:{port}\b")
    parents, named = {}, set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if mine.search(command):
            named.add(int(entry.name))
    found, grew = set(named), True
    while grew:
        children = {pid for pid, parent in parents.items() if parent in found} - found
        found |= children
        grew = bool(children)
    return sorted(found - {os.getpid()})


def stop_cluster(cluster: Cluster) -> None:
    """End the cluster's processes by id: politely, then for good after 3 s."""
    pids = processes_of(cluster)
    for sig, wait_s in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 5.0)):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + wait_s
        while pids and time.monotonic() < deadline:
            pids = [pid for pid in pids if Path(f"/proc/{pid}").exists() and not _zombie(pid)]
            time.sleep(0.2)
        if not pids:
            break


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def ray_start(arguments: list[str], env: dict[str, str]) -> None:
    command = [str(Path(sys.executable).with_name("ray")), "start", *arguments, "--disable-usage-stats"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=START_TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    need("ray")
    root = Path(f"/tmp/rt-{secrets.token_hex(3)}")  # short: Ray's socket paths must fit in 107 bytes
    root.mkdir()
    (root / "pids").mkdir()
    # the cluster's own token, given to its nodes and to the sweeps' drivers: nothing of
    # ~/.ray (another cluster's token) is used or made
    env = {key: value for key, value in os.environ.items() if not key.startswith("RAY_")}
    env.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=secrets.token_hex(32), RAY_USAGE_STATS_ENABLED="0",
               PYTHONPATH=os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]),
               HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    nodes = {**env, "XTD10_CACHE": str(root / "cache"), "XTD10_TEST_PID_DIR": str(root / "pids")}
    port = free_port()
    address = f"127.0.0.1:{port}"
    small = ["--num-cpus=1", "--num-gpus=0", "--object-store-memory=100000000", "--node-ip-address=127.0.0.1"]
    try:
        ray_start(["--head", f"--port={port}", f"--temp-dir={root / 'h'}", "--include-dashboard=false",
                   f"--ray-client-server-port={free_port()}", *small], nodes)
        ray_start([f"--address={address}", f"--temp-dir={root / 'w'}", *small], nodes)
        subprocess.run([sys.executable, "-c", WAIT_FOR_TWO_NODES, address], env=env, check=True,
                       timeout=START_TIMEOUT_S, capture_output=True)
        yield Cluster(address, root, env)
    finally:
        stop_cluster(Cluster(address, root, env))
        shutil.rmtree(root, ignore_errors=True)


WAIT_FOR_TWO_NODES = """
import sys, time, ray
ray.init(address=sys.argv[1], logging_level="ERROR")
while ray.cluster_resources().get("CPU", 0) < 2:
    time.sleep(0.2)
"""


def xtd10_command(roster: Path, out: Path, *options: str) -> list[str]:
    """The console command, as a user types it (the recorded command comes from these words)."""
    return [str(Path(sys.executable).with_name("xtd10")), "bench", "sweep", "--config", str(roster),
            "--out", str(out), *options]


def sweep(cluster: Cluster, roster: Path, out: Path, *options: str) -> subprocess.CompletedProcess:
    env = {**cluster.env, "XTD10_CACHE": os.environ["XTD10_CACHE"]}  # the test's own cache, for a local run
    return subprocess.run(xtd10_command(roster, out, *options), env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def without_run_details(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    for key in RUN_DEPENDENT:
        data.pop(key)
    return data


def assert_same_files(local: Path, on_ray: Path) -> None:
    names = sorted(p.name for p in local.iterdir())
    assert names == sorted(p.name for p in on_ray.iterdir())
    for name in names:
        assert without_run_details(on_ray / name) == without_run_details(local / name), name


ROSTERS = {
    "demo": ("models:\n"
             "  - {spec: random, track: both, offline: true}\n"
             "  - {spec: muse, track: text, offline: true}\n"
             "  - {spec: offline-labels, track: both, offline: true}\n"),
    "xtd10": ("models:\n"
              "  - {spec: random, track: text, offline: true}\n"),
}


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["demo", "xtd10"])
def test_a_ray_sweep_writes_the_files_the_local_sweep_writes(cluster, dataset, tmp_path, request):
    """Three offline encoders on the demo set (both tracks where they have them), and the
    XTD10 text track from the real caption files, which the workers read by their path."""
    options = ["--dataset", dataset, "--bootstrap", "100"]
    if dataset == "xtd10":
        options += ["--source", str(request.getfixturevalue("real_source"))]
    shutil.rmtree(cluster.cache, ignore_errors=True)  # the workers' cache starts empty, as the local run's does
    roster = tmp_path / "roster.yaml"
    roster.write_text(ROSTERS[dataset])

    on_ray = sweep(cluster, roster, tmp_path / "ray", *options, "--executor", "ray", "--address", cluster.address)
    assert on_ray.returncode == 0, on_ray.stdout + on_ray.stderr
    local = sweep(cluster, roster, tmp_path / "local", *options)
    assert local.returncode == 0, local.stdout + local.stderr

    models = ROSTERS[dataset].count("spec:")
    assert f"{models} of {models} models scored" in on_ray.stdout
    assert "1 CPU(s) and 0 GPU(s)" in on_ray.stdout and "2 CPUs" in on_ray.stdout
    assert_same_files(tmp_path / "local", tmp_path / "ray")
    assert "--executor" not in json.loads(next((tmp_path / "ray").iterdir()).read_text())["command"]


def watch_for_stall(cluster: Cluster, then) -> threading.Thread:
    """Call ``then(pid)`` once the stalling encoder's first build has written its process id."""
    marker = cluster.pids / "stalled.pid"

    def watch() -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if marker.is_file() and marker.read_text().strip():
                then(int(marker.read_text()))
                return
            time.sleep(0.1)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def fresh_pid_folder(cluster: Cluster) -> None:
    for path in cluster.pids.iterdir():
        path.unlink()


@pytest.mark.slow
def test_a_worker_killed_mid_sweep_is_retried_and_every_result_is_written_once(cluster, tmp_path):
    fresh_pid_folder(cluster)
    roster = tmp_path / "roster.yaml"
    roster.write_text(f"models:\n  - {{spec: '{STALLING}', track: text, offline: true}}\n"
                      "  - {spec: random, track: text, offline: true}\n")
    killed: list[int] = []

    def kill(pid: int) -> None:
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    watcher = watch_for_stall(cluster, kill)
    started = time.monotonic()
    res = sweep(cluster, roster, tmp_path / "out", "--dataset", "demo", "--bootstrap", "0", "--executor", "ray",
                "--address", cluster.address, "--trust-code")  # the roster names the test's own py: encoder
    watcher.join(timeout=5)
    assert res.returncode == 0, res.stdout + res.stderr
    assert killed, "the stalling encoder never started"
    assert time.monotonic() - started < STALL_S / 2  # the retry did not wait out the stalled attempt
    attempts = (cluster.pids / "attempts.txt").read_text().split()
    assert len(attempts) == 2 and attempts[0] == str(killed[0]) and attempts[1] != attempts[0]
    assert "2 of 2 models scored" in res.stdout
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["py-tests.benchmark.stalling_encoder-build.xtd10-demo.json", "random.xtd10-demo.json"]
    # each written once, by the driver: a second save would say "replaced" or "merged", not "wrote"
    for name in files:
        assert res.stdout.count(f"wrote {tmp_path / 'out' / name}") == 1, res.stdout
    assert "replaced" not in res.stdout and "merged" not in res.stdout


@pytest.mark.slow
def test_ctrl_c_cancels_the_tasks_still_running(cluster, tmp_path):
    fresh_pid_folder(cluster)
    roster = tmp_path / "roster.yaml"
    roster.write_text(f"models:\n  - {{spec: '{STALLING}', track: text, offline: true}}\n")
    stalled: list[int] = []
    env = {**cluster.env, "XTD10_CACHE": os.environ["XTD10_CACHE"]}
    driver = subprocess.Popen(xtd10_command(roster, tmp_path / "out", "--dataset", "demo", "--bootstrap", "0",
                                            "--executor", "ray", "--address", cluster.address, "--trust-code"),
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def interrupt(pid: int) -> None:
        stalled.append(pid)
        driver.send_signal(signal.SIGINT)  # as Ctrl-C in the terminal would

    watcher = watch_for_stall(cluster, interrupt)
    started = time.monotonic()
    try:
        out, err = driver.communicate(timeout=STALL_S + 60)
    finally:
        driver.kill()
    watcher.join(timeout=5)
    assert stalled, "the stalling encoder never started"
    assert driver.returncode == 130, out + err
    assert "cancelled: 0 of 1 models scored" in err
    assert time.monotonic() - started < STALL_S / 2  # cancelled, not waited out
    deadline = time.monotonic() + 15
    while Path(f"/proc/{stalled[0]}").exists() and not _zombie(stalled[0]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not Path(f"/proc/{stalled[0]}").exists() or _zombie(stalled[0]), "the cancelled task still runs"
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_executor_ray_without_ray_is_one_line_naming_the_extra(tmp_path, monkeypatch, capsys):
    from xtd10.cli import main

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails, as where it is not installed
    roster = tmp_path / "roster.yaml"
    roster.write_text("models:\n  - {spec: random, track: text, offline: true}\n")
    with pytest.raises(SystemExit) as info:
        main(["bench", "sweep", "--config", str(roster), "--dataset", "demo", "--executor", "ray",
              "--out", str(tmp_path / "out")])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err == "error: --executor ray needs Ray, which is not installed: pip install -e '.[ray]'\n"
    assert not (tmp_path / "out").exists()


def test_ray_options_without_executor_ray_are_refused(tmp_path, capsys):
    from xtd10.cli import main

    roster = tmp_path / "roster.yaml"
    roster.write_text("models:\n  - {spec: random, track: text, offline: true}\n")
    with pytest.raises(SystemExit) as info:
        main(["bench", "sweep", "--config", str(roster), "--dataset", "demo", "--gpus-per-model", "1"])
    assert info.value.code == 2
    assert "go with --executor ray" in capsys.readouterr().err


def test_an_address_where_no_ray_listens_is_one_line_at_once(tmp_path, capsys):
    """ray.init would wait minutes there; the sweep says so within seconds."""
    need("ray")
    from xtd10.cli import main

    roster = tmp_path / "roster.yaml"
    roster.write_text("models:\n  - {spec: random, track: text, offline: true}\n")
    address = f"127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(SystemExit) as info:
        main(["bench", "sweep", "--config", str(roster), "--dataset", "demo", "--executor", "ray",
              "--address", address, "--out", str(tmp_path / "out")])
    assert info.value.code == 2 and time.monotonic() - started < 15
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot reach Ray at {address}: ") and err.count("\n") == 1
    assert not (tmp_path / "out").exists()

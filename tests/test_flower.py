"""Flower (ulearn_host.fed.flower, the `flwr` extra) as its users run it: the
Flower App in host/flower-app submitted with `flwr run` to a real SuperLink,
either with Flower's simulation runtime (100 simulated devices) or with
SuperNodes as separate processes on 127.0.0.1, one of them proxying a
virtual board (MicroPython under QEMU) over mpremote."""
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ulearn_dev import devicepkg
from test_end_to_end import ulearn_cmd
from ulearn_dev.vboards import ok

APP = str(Path(__file__).resolve().parents[1] / "host" / "flower-app")
BIN = Path(sys.executable).parent  # flwr's commands, installed beside this Python


@pytest.fixture(autouse=True)
def on_numpy():
    devicepkg.use("numpy")


def _flwr():
    try:
        __import__("flwr")
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip('Flower is not installed: pip install -e ".[flwr]"')


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Federation:
    """Flower's processes for one test, each in its own session (a SuperLink
    or SuperNode starts children of its own), stopped together."""

    def __init__(self, tmp_path):
        self.tmp, self.procs = tmp_path, []
        self.env = dict(os.environ, FLWR_HOME=str(tmp_path / "flwr-home"),
                        FLWR_TELEMETRY_ENABLED="0", RAY_USAGE_STATS_ENABLED="0")
        self.port = _free_port()

    def start(self, name, *args):
        log = open(self.tmp / (name + ".log"), "w")
        self.procs.append(subprocess.Popen([str(BIN / args[0]), *args[1:]], stdout=log,
                                           stderr=subprocess.STDOUT, env=self.env,
                                           cwd=self.tmp, start_new_session=True))

    def superlink(self, *more):
        self.start("superlink", "flower-superlink", "--insecure", "--port", str(self.port),
                   "--disable-runtime-dependency-installation", *more)
        deadline = time.time() + 60
        while time.time() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.2)
        raise AssertionError("the SuperLink did not start:\n" + self.log("superlink"))

    def supernode(self, name, node_config):
        self.start(name, "flower-supernode", "--insecure", "--superlink", "127.0.0.1:%d" % self.port,
                   "--port", str(_free_port()), "--node-config", node_config)

    def run(self, run_config, *more):
        """`flwr run` of the app on this SuperLink, streaming its logs until it ends."""
        home = Path(self.env["FLWR_HOME"])
        home.mkdir(exist_ok=True)
        (home / "config.toml").write_text('[superlink]\ndefault = "here"\n\n[superlink.here]\n'
                                          'address = "127.0.0.1:%d"\ninsecure = true\n' % self.port)
        cfg = " ".join("%s=%s" % (k, "'%s'" % v if isinstance(v, str) else v)
                       for k, v in run_config.items())
        r = subprocess.run([str(BIN / "flwr"), "run", APP, "here", "--run-config", cfg, "--stream",
                            *more], capture_output=True, text=True, env=self.env, cwd=self.tmp,
                           timeout=600)
        return r.returncode, r.stdout + r.stderr

    def log(self, name):
        return (self.tmp / (name + ".log")).read_text()

    def stop(self):
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


@pytest.fixture
def federation(tmp_path):
    _flwr()
    f = Federation(tmp_path)
    yield f
    f.stop()


@pytest.fixture(scope="module")
def bundle_and_stream(tmp_path_factory):
    """A watch bundle (int8 extractor, trainable head) and a stream of training windows."""
    from test_datasets import load
    from ulearn_host import tasks
    load(tasks.load_task, "watch")  # skip off CI when the data is missing
    d = tmp_path_factory.mktemp("flower")
    f = {k: str(d / (k + ".npz")) for k in ("model", "bundle", "stream")}
    ulearn_cmd("train", "--data", "watch", "--epochs", "5", "-o", f["model"])
    ulearn_cmd("export", f["model"], "--int8", "-o", f["bundle"])
    ulearn_cmd("stream", "--data", "watch", "--split", "train", "--shuffle", "--limit", "1000",
               "-o", f["stream"])
    return f["bundle"], f["stream"]


def host_reptile(bundle, stream, nodes, rounds, steps, lr, seed):
    """What Reptile over every node each round gives, computed on the host
    with the same clients and seeds as the ClientApp (the mean update does
    not depend on which node is which)."""
    import ulearn
    from ulearn_host.fed import Reptile, params
    from ulearn_host.fed.flower import node_client
    rule = Reptile(per_round=nodes, steps=steps, lr=lr)
    clients = [node_client({"partition-id": p, "num-partitions": nodes}, {"stream": stream})
               for p in range(nodes)]
    make = lambda: ulearn.load(bundle)  # noqa: E731
    theta = params.get(make())
    for rnd in range(rounds):
        res = [c.fit(theta, make, rule.fit_config, np.random.default_rng([seed, rnd, p]))[:2]
               for p, c in enumerate(clients)]
        theta = rule.aggregate(theta, res, rnd, rounds)
    return theta


def test_simulation_of_100_devices_matches_the_host(federation, bundle_and_stream, tmp_path):
    import ulearn
    from ulearn.checkpoint import read_meta
    from ulearn_host.fed import params
    bundle, stream = bundle_and_stream
    out = str(tmp_path / "theta.npz")
    federation.superlink("--simulation")
    code, text = federation.run(
        {"bundle": bundle, "out": out, "stream": stream, "strategy": "reptile", "per-round": 100,
         "rounds": 3, "steps": 5, "lr": 0.05, "seed": 7},
        "--federation-config", "num-supernodes=100")
    assert code == 0 and os.path.exists(out), text
    assert read_meta(out)["info"]["fed"]["round"] == 2
    asked = re.findall(r"round (\d+): asked (\d+) of (\d+) nodes", text)
    assert asked == [(str(r), "100", "100") for r in range(3)], text
    got = params.get(ulearn.load(out))
    want = host_reptile(bundle, stream, 100, 3, 5, 0.05, 7)
    start = params.get(ulearn.load(bundle))
    assert any(not np.allclose(g, s) for g, s in zip(got, start))  # the rounds moved theta
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_deployment_server_and_two_clients_as_processes(federation, bundle_and_stream, vboard,
                                                        tmp_path):
    """A SuperLink and two SuperNodes on 127.0.0.1: one a device simulated
    on the host, one proxying a (virtual) board over mpremote."""
    import ulearn
    from ulearn.checkpoint import read_meta
    from ulearn_host.fed import params
    bundle, stream = bundle_and_stream
    ulearn_cmd("deploy", bundle, "-d", vboard.device, "--file", stream)  # lands as /ulearn-data/
    federation.superlink()
    federation.supernode("host-node", "stream='%s' partition-id=0 num-partitions=2" % stream)
    federation.supernode("board-node", "device='%s' stream='/ulearn-data/%s'"
                         % (vboard.device, os.path.basename(stream)))
    out = str(tmp_path / "theta.npz")
    code, text = federation.run({"bundle": bundle, "out": out, "strategy": "reptile",
                                 "per-round": 2, "rounds": 2, "steps": 10, "seed": 1})
    assert code == 0 and os.path.exists(out), text
    assert read_meta(out)["info"]["fed"]["round"] == 1
    assert re.findall(r"round (\d+): asked (\d+) of (\d+) nodes", text) == [("0", "2", "2"),
                                                                          ("1", "2", "2")], text
    assert "skipped" not in text, text
    # the board trained in both rounds: its stream cursor moved 2 x 10 rows
    assert ok(vboard.device, "cat", ":/ulearn-data/cursor.txt").strip() == "20"
    start = params.get(ulearn.load(bundle))
    assert any(not np.allclose(g, s) for g, s in zip(params.get(ulearn.load(out)), start))


def test_a_node_is_a_simulated_device_or_a_board(bundle_and_stream):
    _flwr()
    from ulearn_host.fed.board_client import BoardClient
    from ulearn_host.fed.client import SimClient
    from ulearn_host.fed.flower import node_client
    _, stream = bundle_and_stream
    parts = [node_client({"partition-id": p, "num-partitions": 3}, {"stream": stream}) for p in range(3)]
    assert all(isinstance(c, SimClient) for c in parts)
    whole = node_client({"stream": stream}, {})
    assert sum(len(c.y) for c in parts) == len(whole.y) == 1000
    assert np.array_equal(np.concatenate([c.X for c in parts]), whole.X)
    board = node_client({"device": "socket://127.0.0.1:1"}, {"stream": stream})
    assert isinstance(board, BoardClient) and board.stream == "/ulearn-data/learn.npz"
    with pytest.raises(ValueError, match="this node has no data"):
        node_client({}, {"stream": ""})
    with pytest.raises(ValueError, match="partition 3 of 3"):
        node_client({"partition-id": 3, "num-partitions": 3}, {"stream": stream})

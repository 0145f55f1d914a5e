"""Sharding across devices: the same numbers as one device.

CI has one CPU device, so the multi-device checks run in subprocesses: one process with four
host CPU devices (`XLA_FLAGS=--xla_force_host_platform_device_count=4`), and two processes of
two devices each joined by `jax.distributed.initialize` (the multi-host launch pattern, over
localhost). The subprocesses assert that their arrays really are split over the devices and
print their results, which are compared here with the plain single-device functions and with an
independent NumPy kernel sum.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dualflow as df
from dualflow.kernels import kernel_sums
from dualflow.sharding import device_mesh, map_rows, shard_rows, sharded_kernel_sums

ROOT = Path(__file__).resolve().parents[1]
SIGMA = 0.4
ONE = df.Measure(jnp.zeros((1, 1)), jnp.ones(1))
PAIR = df.Measure(jnp.zeros((2, 1)), jnp.full(2, 0.5))
BANDWIDTHS = ("bandwidth", np.geomspace(0.2, 5, 5))
REGS = ("reg", np.geomspace(0.01, 1, 3))  # 15 grid points: not a multiple of 4
HOST_DEVICE_FLAGS = (
    "--xla_force_host_platform_device_count={devices} --xla_cpu_enable_concurrency_optimized_scheduler=false"
)


def problem(n):
    k_data, k_x = jax.random.split(jax.random.PRNGKey(0))
    ring = df.ring8(k_data, 500)
    return jax.random.normal(k_x, (n, 2)), ring.points, ring.masses


def numpy_gaussian_sums(x, z, beta, sigma):
    """Independent reference: $f(x_n) = \\sum_k \\beta_k e^{-|x_n - z_k|^2/2\\sigma^2}$ and its gradient."""
    x, z, beta = np.asarray(x), np.asarray(z), np.asarray(beta)
    diff = x[:, None, :] - z[None, :, :]
    k = np.exp(-np.sum(diff**2, axis=-1) / (2 * sigma**2)) * beta
    return k.sum(axis=1), -np.einsum("nk,nkd->nd", k, diff) / sigma**2


def run_script(script: str, out_dir: Path, name: str, *, devices: int, args=()):
    """Start `script` with `devices` host CPU devices; stdout and stderr go to files (a pipe
    that nobody reads could fill up and stall the other process of a two-process run).
    `HOST_DEVICE_FLAGS` also turns off XLA:CPU's concurrency-optimized scheduler, which in
    jaxlib 0.10.2 can deadlock batched LAPACK calls (`eig`) run by several host devices at once
    (see docs/howto/multi_device.md)."""
    env = dict(
        os.environ,
        JAX_PLATFORMS="cpu",
        XLA_FLAGS=HOST_DEVICE_FLAGS.format(devices=devices),
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    with open(out_dir / f"{name}.out", "w") as out, open(out_dir / f"{name}.err", "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(script), *args], env=env, cwd=ROOT, stdout=out, stderr=err, text=True
        )
    return proc, out_dir / name


def result_of(started, timeout=240):
    proc, path = started
    try:
        proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
    err = path.with_suffix(".err").read_text()
    assert proc.returncode == 0, f"subprocess failed ({proc.returncode}):\n{err[-6000:]}"
    return json.loads(path.with_suffix(".out").read_text().strip().splitlines()[-1])


PREAMBLE = """
    import json, sys
    import jax
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_numpy_dtype_promotion", "strict")
    jax.config.update("jax_numpy_rank_promotion", "raise")
    import jax.numpy as jnp
    import numpy as np
    import dualflow as df
    from dualflow.analysis import phase_diagram
    from dualflow.sharding import device_mesh, map_rows, shard_rows, sharded_kernel_sums
"""

SETUP = """
    k_data, k_x = jax.random.split(jax.random.PRNGKey(0))
    ring = df.ring8(k_data, 500)
    ONE = df.Measure(jnp.zeros((1, 1)), jnp.ones(1))
    PAIR = df.Measure(jnp.zeros((2, 1)), jnp.full(2, 0.5))
    BANDWIDTHS = ("bandwidth", np.geomspace(0.2, 5, 5))
    REGS = ("reg", np.geomspace(0.01, 1, 3))
"""

FOUR_DEVICES = (
    PREAMBLE
    + SETUP
    + """
    assert len(jax.devices()) == 4, jax.devices()
    mesh = device_mesh()
    assert mesh.size == 4
    out = {}

    # placing: rows padded to a multiple of 4 (last row repeated), one block per device
    for n in (1000, 1001):
        x = jax.random.normal(k_x, (n, 2))
        placed = shard_rows(x, mesh)
        n_pad = -(-n // 4) * 4
        assert placed.shape == (n_pad, 2) and placed.sharding.spec == jax.sharding.PartitionSpec("rows")
        shards = placed.addressable_shards
        assert len({s.device for s in shards}) == 4 and all(s.data.shape == (n_pad // 4, 2) for s in shards)
        assert np.array_equal(np.asarray(placed[n:]), np.repeat(np.asarray(x[-1:]), n_pad - n, axis=0))

    # kernel sums, dense and chunked; N = 1000 keeps the results sharded, N = 1001 is padded
    for n in (1000, 1001):
        x = jax.random.normal(k_x, (n, 2))
        for block in (None, 64):
            values, grads = sharded_kernel_sums(df.Gaussian(0.4), x, ring.points, ring.masses, mesh=mesh, block=block)
            assert values.shape == (n,) and grads.shape == (n, 2)
            if n % 4 == 0:
                for a in (values, grads):
                    assert a.sharding.spec[0] == "rows", a.sharding
                    assert len({s.device for s in a.addressable_shards}) == 4
                    assert all(s.data.shape[0] == n // 4 for s in a.addressable_shards)
            out[f"sums_{n}_{block}"] = [np.asarray(values).tolist(), np.asarray(grads).tolist()]

    # which device computed which row: blocks of ceil(N/4) consecutive rows, devices 0..3
    owner = map_rows(lambda rows: jnp.full(rows.shape[0], jax.lax.axis_index("rows")), jnp.zeros(1001), mesh=mesh)
    assert np.array_equal(np.asarray(owner), np.arange(1001) // 251)

    # phase diagrams: record the grid blocks each device receives
    seen = []
    real_map_rows = phase_diagram.map_rows
    def spying_map_rows(fn, rows, *shared, **options):
        def spied(block, *shared):
            size = jax.tree_util.tree_leaves(block)[0].shape[0]
            jax.debug.callback(lambda i: seen.append((int(i), size)), jax.lax.axis_index("rows"))
            return fn(block, *shared)
        return real_map_rows(spied, rows, *shared, **options)
    phase_diagram.map_rows = spying_map_rows
    for scheme in ("alternating_d_first", "flow"):
        seen.clear()
        d = df.predict_phase_diagram(ONE, PAIR, x=BANDWIDTHS, y=REGS, base=dict(lr_g=0.05, lr_d=0.2), scheme=scheme,
                                     mesh=mesh)
        jax.effects_barrier()
        assert sorted(seen) == [(i, 4) for i in range(4)], seen   # 15 points padded to 16, 4 per device
        out[f"predict_{scheme}"] = [d.growth.tolist(), d.predicted.tolist()]
    d = df.predict_phase_diagram(ONE, ONE, x=BANDWIDTHS, y=REGS, base=dict(lr_g=0.1, lr_d=0.1), scheme="simultaneous")
    seen.clear()
    m = df.measure_phase_diagram(d, n_steps=200, mesh=mesh)
    jax.effects_barrier()
    assert sorted(seen) == [(i, 4) for i in range(4)], seen
    out["measure"] = [m.measured.tolist(), np.nan_to_num(m.measured_rate, nan=-1.0).tolist()]
    print(json.dumps(out))
"""
)

TWO_HOSTS = (
    PREAMBLE
    + """
    jax.distributed.initialize(coordinator_address=sys.argv[1], num_processes=2, process_id=int(sys.argv[2]))
"""
    + SETUP
    + """
    from jax.experimental import multihost_utils
    assert jax.process_count() == 2 and jax.device_count() == 4 and jax.local_device_count() == 2
    mesh = device_mesh()
    x = jax.random.normal(k_x, (1000, 2))   # same key on every process: the same global x
    values, grads = sharded_kernel_sums(df.Gaussian(0.4), x, ring.points, ring.masses, mesh=mesh)
    assert not values.is_fully_addressable and len(values.addressable_shards) == 2
    rows = sorted(s.index[0].start for s in values.addressable_shards)
    assert rows == [500 * jax.process_index(), 500 * jax.process_index() + 250], rows
    values, grads = multihost_utils.process_allgather((values, grads), tiled=True)
    d = df.predict_phase_diagram(ONE, PAIR, x=BANDWIDTHS, y=REGS, base=dict(lr_g=0.05, lr_d=0.2),
                                 scheme="alternating_d_first", mesh=mesh)
    print(json.dumps({"process": jax.process_index(), "sums": [np.asarray(values).tolist(), np.asarray(grads).tolist()],
                      "predict": [d.growth.tolist(), d.predicted.tolist()]}))
"""
)


def single_device_references():
    """What the subprocesses must reproduce, computed here on one device (plain functions) and
    by NumPy (the kernel sums)."""
    sums = {}
    for n, block in ((1000, None), (1000, 64), (1001, None), (1001, 64)):
        x, z, beta = problem(n)
        sums[n, block] = (
            kernel_sums(df.Gaussian(SIGMA), x, z, beta, block=block),
            numpy_gaussian_sums(x, z, beta, SIGMA),
        )
    diagrams = {scheme: plain_diagram(scheme) for scheme in ("alternating_d_first", "flow")}
    measured = df.measure_phase_diagram(plain_diagram("measure"), n_steps=200)
    return sums, diagrams, measured


def plain_diagram(scheme):
    base = dict(lr_g=0.1, lr_d=0.1) if scheme == "measure" else dict(lr_g=0.05, lr_d=0.2)
    equilibrium = ONE if scheme == "measure" else PAIR
    return df.predict_phase_diagram(
        ONE, equilibrium, x=BANDWIDTHS, y=REGS, base=base, scheme="simultaneous" if scheme == "measure" else scheme
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Start the four-device run and the two-process run, compute the single-device references
    meanwhile, then collect the runs' results."""
    out_dir = tmp_path_factory.mktemp("sharding")
    with socket.socket() as s:
        s.bind(("localhost", 0))
        port = s.getsockname()[1]
    four = run_script(FOUR_DEVICES, out_dir, "four", devices=4)
    hosts = [
        run_script(TWO_HOSTS, out_dir, f"host{i}", devices=2, args=(f"localhost:{port}", str(i))) for i in range(2)
    ]
    try:
        references = single_device_references()
    finally:
        results = result_of(four), [result_of(p) for p in hosts]
    return results, references


def assert_sums_match(values, grads, reference):
    """Equal to `kernel_sums` on one device and to the NumPy sums, to 1e-12."""
    for expected_values, expected_grads in reference:
        np.testing.assert_allclose(np.asarray(values), np.asarray(expected_values), rtol=0, atol=1e-12)
        np.testing.assert_allclose(np.asarray(grads), np.asarray(expected_grads), rtol=0, atol=1e-12)


def test_four_devices_kernel_sums_equal_one_device(runs):
    (four, _), (sums, _, _) = runs
    for n in (1000, 1001):
        for block in (None, 64):
            values, grads = four[f"sums_{n}_{block}"]
            assert_sums_match(values, grads, sums[n, block])


def test_four_devices_phase_diagrams_equal_one_device(runs):
    (four, _), (_, diagrams, plain_measured) = runs
    for scheme, plain in diagrams.items():
        growth, labels = four[f"predict_{scheme}"]
        np.testing.assert_allclose(growth, plain.growth, rtol=1e-12, atol=1e-14)
        assert np.array_equal(labels, plain.predicted)
    measured, rates = four["measure"]
    assert np.array_equal(measured, plain_measured.measured)
    np.testing.assert_allclose(rates, np.nan_to_num(plain_measured.measured_rate, nan=-1.0), rtol=1e-12, atol=1e-14)


def test_two_processes_equal_one_device(runs):
    (_, hosts), (sums, diagrams, _) = runs
    assert sorted(h["process"] for h in hosts) == [0, 1]
    plain = diagrams["alternating_d_first"]
    for h in hosts:  # every process holds the whole (gathered) answer
        assert_sums_match(*h["sums"], sums[1000, None])
        growth, labels = h["predict"]
        np.testing.assert_allclose(growth, plain.growth, rtol=1e-12, atol=1e-14)
        assert np.array_equal(labels, plain.predicted)


# ---- one device (the main process) --------------------------------------------------------


def test_one_device_mesh_gives_the_plain_functions():
    mesh = device_mesh()
    assert mesh.size == len(jax.devices()) and mesh.axis_names == ("rows",)
    for n, block in ((1000, None), (1001, 128)):
        x, z, beta = problem(n)
        values, grads = sharded_kernel_sums(df.Gaussian(SIGMA), x, z, beta, block=block)
        assert values.dtype == jnp.float64
        assert_sums_match(
            values,
            grads,
            [kernel_sums(df.Gaussian(SIGMA), x, z, beta, block=block), numpy_gaussian_sums(x, z, beta, SIGMA)],
        )
    placed = shard_rows({"a": jnp.arange(5.0), "b": jnp.ones((5, 2))}, mesh)
    assert placed["a"].shape == (5,) and placed["b"].shape == (5, 2)
    rates = jnp.linspace(0.01, 1.0, 7)
    decay = map_rows(jax.vmap(lambda r, t: jnp.exp(-r * t), in_axes=(0, None)), rates, 2.0)
    np.testing.assert_allclose(decay, np.exp(-2.0 * np.asarray(rates)), rtol=1e-15)
    plain = plain_diagram("alternating_d_first")
    sharded = df.predict_phase_diagram(
        ONE, PAIR, x=BANDWIDTHS, y=REGS, base=dict(lr_g=0.05, lr_d=0.2), scheme="alternating_d_first", mesh=mesh
    )
    np.testing.assert_array_equal(sharded.growth, plain.growth)
    np.testing.assert_array_equal(sharded.predicted, plain.predicted)


def test_jax_make_mesh_and_jit_are_accepted():
    """A mesh from `jax.make_mesh` (explicit axes by default) is used in automatic mode, and the
    functions trace under an outer `jit`."""
    mesh = jax.make_mesh((len(jax.devices()),), ("particles",))
    x, z, beta = problem(1000)
    values, grads = jax.jit(lambda x: sharded_kernel_sums(df.Gaussian(SIGMA), x, z, beta, mesh=mesh))(x)
    assert_sums_match(values, grads, [numpy_gaussian_sums(x, z, beta, SIGMA)])


def test_bad_arguments_are_refused():
    x, z, beta = problem(10)
    with pytest.raises(TypeError, match="Mesh"):
        sharded_kernel_sums(df.Gaussian(SIGMA), x, z, beta, mesh="all")
    with pytest.raises(TypeError, match="radial kernel"):
        sharded_kernel_sums("gaussian", x, z, beta)
    with pytest.raises(ValueError, match="same d"):
        sharded_kernel_sums(df.Gaussian(SIGMA), x, z[:, :1], beta)
    with pytest.raises(ValueError, match="coefs"):
        sharded_kernel_sums(df.Gaussian(SIGMA), x, z, beta[:3])
    with pytest.raises(ValueError, match="leading length"):
        map_rows(lambda a, b: a, (jnp.ones(3), jnp.ones(4)))
    with pytest.raises(ValueError, match="leading length"):
        shard_rows(jnp.ones((0, 2)))
    with pytest.raises(ValueError, match="devices"):
        device_mesh([])

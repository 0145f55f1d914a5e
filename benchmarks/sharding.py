"""Benchmark: one device against several (host CPU) devices, same code, same numbers.

Two row-wise workloads, each run in a fresh process per device count (the count of host CPU
devices is fixed by `XLA_FLAGS=--xla_force_host_platform_device_count=D` before JAX starts):

- `sharded_kernel_sums`: the witness and its gradient at N points against M weighted centres
  (2-D, float64), rows split over the devices;
- `predict_phase_diagram(mesh=...)`: a linearized phase diagram, grid points split over the devices.

Each row compares D devices (`dualflow_s`) with one device running the same sharded code
(`baseline_s`, so `ratio` > 1 means D devices were faster) and reports the largest difference
between the two answers. Host "devices" share the machine's cores: on a 2-core CPU no speed-up
is expected (XLA already spreads one device's work over the cores); the point of the rows is
that the answers agree. On several GPUs the same code divides the work.

    python benchmarks/sharding.py [--quick] [--devices 4]
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import textwrap

HERE = pathlib.Path(__file__).resolve().parent

CHILD = """
import json, sys, time
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp
import numpy as np
sys.path.insert(0, {bench!r})
from common import timed
import dualflow as df
from dualflow.sharding import device_mesh, sharded_kernel_sums

n, m, size, out = {n}, {m}, {size}, {out!r}
mesh = device_mesh()
k_data, k_x = jax.random.split(jax.random.PRNGKey(0))
ring = df.ring8(k_data, m)
x = jax.random.normal(k_x, (n, 2))
kernel = df.Gaussian(0.4)

def sums():
    values, grads = sharded_kernel_sums(kernel, x, ring.points, ring.masses, mesh=mesh)
    return grads.block_until_ready()

one = df.Measure(jnp.zeros((1, 1)), jnp.ones(1))
cluster = df.Measure(jnp.zeros((2, 1)), jnp.full(2, 0.3))
def diagram():
    return df.predict_phase_diagram(one, cluster, x=("bandwidth", np.geomspace(0.2, 5, size)),
                                    y=("reg", np.geomspace(0.01, 1, size)), base=dict(lr_g=0.05, lr_d=0.2),
                                    scheme="alternating_d_first", mesh=mesh)

d = diagram()
result = {{"devices": len(jax.devices()), "sums_s": timed(sums, repeats=3), "diagram_s": timed(diagram, repeats=3),
          "grads": np.asarray(sums()).tolist(), "growth": d.growth.tolist(), "labels": d.predicted.tolist()}}
open(out, "w").write(json.dumps(result))
"""


def measure(devices: int, n: int, m: int, size: int) -> dict:
    """Run the child with `devices` host devices; its timings and answers."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        # the scheduler flag avoids a jaxlib 0.10.2 deadlock of batched LAPACK `eig` on several host
        # devices (docs/howto/multi_device.md); it is set for both device counts
        flags = (
            f"--xla_force_host_platform_device_count={devices} --xla_cpu_enable_concurrency_optimized_scheduler=false"
        )
        env = dict(
            os.environ,
            JAX_PLATFORMS="cpu",
            XLA_FLAGS=flags,
            PYTHONPATH=os.pathsep.join(filter(None, [str(HERE.parent), os.environ.get("PYTHONPATH")])),
        )
        code = textwrap.dedent(CHILD).format(bench=str(HERE), n=n, m=m, size=size, out=out)
        subprocess.run([sys.executable, "-c", code], env=env, cwd=HERE.parent, check=True)
        return json.loads(pathlib.Path(out).read_text())


def run(quick: bool, devices: int = 4) -> list[dict]:
    import numpy as np
    from common import row

    n, m, size = (4_000, 2_000, 40) if quick else (20_000, 5_000, 200)
    one, many = measure(1, n, m, size), measure(devices, n, m, size)
    assert many["devices"] == devices and one["devices"] == 1
    grads_diff = float(np.max(np.abs(np.asarray(one["grads"]) - np.asarray(many["grads"]))))
    growth_diff = float(np.max(np.abs(np.asarray(one["growth"]) - np.asarray(many["growth"]))))
    same_labels = bool(np.array_equal(one["labels"], many["labels"]))
    note = f"{devices} host CPU devices on {os.cpu_count()} cores: no speed-up expected, the check is the agreement"
    return [
        row(
            "sharding",
            f"kernel sums N={n} M={m} d=2 f64, {devices} devices",
            dualflow_s=many["sums_s"],
            baseline="same code, 1 device",
            baseline_s=one["sums_s"],
            agreement=grads_diff,
            agreement_kind="max |grad diff|",
            note=note,
        ),
        row(
            "sharding",
            f"phase diagram {size}x{size}, {devices} devices",
            dualflow_s=many["diagram_s"],
            baseline="same code, 1 device",
            baseline_s=one["diagram_s"],
            agreement=growth_diff,
            agreement_kind="max |growth diff|",
            note=f"labels identical: {same_labels}",
        ),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--devices", type=int, default=4)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    for r in run(args.quick, args.devices):
        print(json.dumps(r))


if __name__ == "__main__":
    main()

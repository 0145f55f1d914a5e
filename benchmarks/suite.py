"""The benchmark suite: every workload, dualflow against the baselines a user would otherwise write.

    python benchmarks/suite.py [--quick] [--only velocity_field sinkhorn_step ...] [--out FILE]

Each workload is a module of this folder with `run(quick) -> rows`; it runs in a subprocess of
its own, so that the workloads' precisions (float32 / float64) and thread pools do not meet.
Every row holds dualflow's median time after warm-up, a baseline's, their ratio
(baseline / dualflow: above 1, dualflow is faster) and how far the answers agree, so that a
fast wrong answer shows. The suite prints one table and writes every row, with the machine
(CPU, cores, memory, devices), the versions and the load average, to a JSON file (default
`dualflow-output/benchmarks/suite_<device>_<date>[_quick].json`; records worth keeping are copied
to `benchmarks/results/`). Baselines that do not install (torch,
torchdiffeq, geomloss) are skipped with a note in their row.

Workloads (see each module's docstring):

- `ceiling`: this machine's Gaussian-kernel pair rate and matmul FLOP/s;
- `velocity_field`: the exact-kernel (MMD-flow) velocity field, N = M up to 10^5, d in {2, 64},
  float32 / float64, against NumPy and torch; its rate as a fraction of the ceiling;
- `finite_rank_flow`: the coupled finite-rank flow on the 8-ring against scipy `solve_ivp` with
  a NumPy right-hand side, and torchdiffeq;
- `gda_history`: exact-history GDA (Becker's update) against NumPy;
- `sinkhorn_step`: one Sinkhorn-flow velocity at N = M = 10^4 against POT and geomloss;
- `sweep_throughput`: linearized phase diagrams (configurations per second) and vmapped simulated
  sweeps (runs per second);
- `sharding`: one against several (host) devices, for correctness of the sharded path.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import time

from common import OUTPUT_FOLDER

HERE = pathlib.Path(__file__).resolve().parent
WORKLOADS = (
    "ceiling",
    "velocity_field",
    "finite_rank_flow",
    "gda_history",
    "sinkhorn_step",
    "sweep_throughput",
    "sharding",
    "spectral",
)


def machine() -> dict:
    """The machine the numbers belong to."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in _read("/proc/cpuinfo").splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        (int(line.split()[1]) / 2**20 for line in _read("/proc/meminfo").splitlines() if line.startswith("MemTotal")),
        None,
    )
    out = {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": memory,
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import jax, json; print(json.dumps({'jax': jax.__version__, "
            "'devices': [str(d) for d in jax.devices()], 'backend': jax.default_backend()}))",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    out.update(json.loads(probe.stdout) if probe.returncode == 0 else {"jax": "unavailable"})
    return out


def _read(path: str) -> str:
    try:
        return pathlib.Path(path).read_text()
    except OSError:
        return ""


def run_workload(name: str, quick: bool) -> tuple[list[dict], float, str | None]:
    """`(rows, seconds, error)` of one workload, run in a subprocess of its own."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        target = handle.name
    code = (
        f"import json, sys; sys.path.insert(0, {str(HERE)!r}); import {name}; "
        f"rows = {name}.run({quick!r}); open({target!r}, 'w').write(json.dumps(rows, default=str))"
    )
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], cwd=HERE.parent, check=False)
    seconds = time.perf_counter() - start
    try:
        if done.returncode != 0:
            return [], seconds, f"exit status {done.returncode} (see its output above)"
        return json.loads(pathlib.Path(target).read_text()), seconds, None
    finally:
        pathlib.Path(target).unlink(missing_ok=True)


def _fmt(value, kind="s") -> str:
    if value is None:
        return "-"
    if kind == "s":
        return f"{value:.3g} s" if value >= 1e-3 else f"{value * 1e6:.3g} us"
    if kind == "x":
        return f"{value:.3g}x"
    return f"{value:.2g}"


def table(rows: list[dict]) -> str:
    """The rows as a Markdown table."""
    header = "| workload | case | dualflow | baseline | baseline time | ratio | agreement | note |"
    lines = [header, "|" + "---|" * 8]
    for r in rows:
        lines.append(
            "| "
            + " | ".join(
                [
                    r.get("workload", ""),
                    r.get("case", ""),
                    _fmt(r.get("dualflow_s")),
                    r.get("baseline") or "-",
                    _fmt(r.get("baseline_s")),
                    _fmt(r.get("ratio"), "x"),
                    _fmt(r.get("agreement"), "e"),
                    str(r.get("note", "")).replace("|", "/"),
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes: a few minutes in all")
    parser.add_argument("--only", nargs="+", choices=WORKLOADS, default=None, help="run only these workloads")
    parser.add_argument("--out", default=None, help="the JSON file (default: dualflow-output/benchmarks/suite_...json)")
    args = parser.parse_args(argv)
    names = args.only or [w for w in WORKLOADS if (HERE / f"{w}.py").exists()]
    info = machine()
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "quick": args.quick,
        "machine": info,
        "load_average_before": os.getloadavg(),
        "workloads": {},
        "rows": [],
    }
    for name in names:
        print(f"== {name}", flush=True)
        rows, seconds, error = run_workload(name, args.quick)
        result["workloads"][name] = {"seconds": round(seconds, 1), "rows": len(rows), "error": error}
        result["rows"] += rows
        print(table(rows) if rows else f"{name}: no rows ({error})", flush=True)
    result["load_average_after"] = os.getloadavg()
    device = "gpu" if info.get("backend") == "gpu" else f"cpu{info['cores']}core"
    out = (
        pathlib.Path(args.out)
        if args.out
        else (OUTPUT_FOLDER / f"suite_{device}_{time.strftime('%Y-%m-%d')}{'_quick' if args.quick else ''}.json")
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(
        f"\n{table(result['rows'])}\n\nmachine: {info['cpu']}, {info['cores']} cores, "
        f"{info.get('memory_gib') or 0:.0f} GiB, {', '.join(info.get('devices', []))}; wrote {out}"
    )
    return result


if __name__ == "__main__":
    main()

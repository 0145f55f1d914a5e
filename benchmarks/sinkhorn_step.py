"""Benchmark: one velocity evaluation of the generator's Sinkhorn-divergence flow, dualflow vs POT.

One evaluation is everything a flow step needs: the two Sinkhorn solves of the debiased
divergence that depend on the particles (mu -> nu and the symmetric mu -> mu), then every
particle's velocity -dS_eps/dx_j = 2 a_j (T_mu_nu(x_j) - T_mu_mu(x_j)) from the barycentric
projections T (envelope theorem, no differentiation through the iterations).

- dualflow: `KernelGame(data, SinkhornPotentials(epsilon, threshold, batch_size=256))` and
  `game.generator_velocity`, jitted and compiled before timing: ott-jax's log-domain Sinkhorn
  on an online point cloud (costs recomputed in blocks of rows at every iteration, memory
  linear in N + M) with ott's acceleration (adaptive momentum on mu -> nu, averaged symmetric
  updates on mu -> mu), exactly as the player always runs.
- dualflow with ott's stock online kernel: the same, with ott's own `PointCloud` log-sum-exp
  kernel in place of dualflow's (`_blocked_point_cloud()`), to show what that kernel costs.
- POT: `ot.dist` cost matrices, `ot.sinkhorn` on each problem (dense N x M, NumPy), then the
  barycentric projections `P @ y / P.sum(1)` in NumPy. Method "sinkhorn" by default (the
  scaling form on the stored kernel: matrix-vector products, POT's fastest); "sinkhorn_log"
  (log domain, like ott) with `--pot-runs sinkhorn_log:l1` (40x slower than "sinkhorn" at
  N = 1000 on the 2-core CPU: 5.8 s against 0.14 s).

Same problem for everybody: data nu = 8-ring (`dualflow.ring8`, radius 2, std 0.02), particles
mu = Gaussian blob N(0, 0.5^2 I), N = M, uniform masses, squared Euclidean cost without 1/2,
epsilon absolute (POT's `reg` equals ott's `epsilon`: the entropic terms -H(P) and
KL(P | a x b) differ by a constant on the transport polytope, so the plans coincide), float64
and float32 for both.

Stopping: both libraries check the column-marginal error every 10 iterations, ott in the l1
norm (< threshold), POT in the l2 norm (< stopThr). "POT ...:l1" gets stopThr = threshold /
sqrt(M), which implies ott's l1 test (|e|_1 <= sqrt(M) |e|_2): the same guarantee. "POT
...:same" gets stopThr = threshold, a much weaker demand, shown to make the point that equal
numbers are not equal accuracy. What each run achieved is measured, not assumed: the l1
column-marginal error of each final plan (the one its velocity is computed from, rebuilt in
NumPy), and the velocity's error against an untimed, tightly converged float64 POT reference
(stopThr 1e-12): max |v - v_ref| / max |v_ref|.

Timings are medians over `--repeats` rounds in which every run takes its turn (so a change in
the machine's load hits them alike), after a warm-up run each; the 1-minute load average
before and after is recorded. Peak memory: the process's resident high-water mark
(`ru_maxrss`) after the dualflow runs (they run first; it includes JAX's runtime) and after
everything, and POT's peak NumPy allocation (`tracemalloc`, during its warm-up run).

    python benchmarks/sinkhorn_step.py [--quick] [--n 10000] [--epsilon 0.05] [--threshold 1e-4]
        [--batch-size 256] [--dtypes float64 float32] [--pot-runs sinkhorn:l1 sinkhorn:same]
        [--no-stock-ott] [--reference-stop 1e-12] [--repeats 3] [--out FILE]

`--quick` is N = M = 1000. Results go to `dualflow-output/benchmarks/sinkhorn_step.json` by default.
"""

import argparse
import contextlib
import importlib
import importlib.metadata
import json
import os
import pathlib
import resource
import statistics
import time
import tracemalloc
import warnings

import jax
import numpy as np
from common import OUTPUT_FOLDER

DEFAULT_OUT = OUTPUT_FOLDER / "sinkhorn_step.json"


def interleaved(fns, repeats):
    """Median wall time of every `fns[name]()` over `repeats` rounds, the functions taking turns
    within each round, so a change in the machine's load hits them alike (the caller has run
    each once already: compilation). Returns `{name: (median, all times, last result)}`."""
    times, results = {name: [] for name in fns}, {}
    for round_ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - start)
        print(f"round {round_ + 1}/{repeats}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()), flush=True)
    return {name: (statistics.median(times[name]), times[name], results[name]) for name in fns}


@contextlib.contextmanager
def stock_ott_kernel():
    """Run the player with ott's own online `PointCloud` kernel instead of dualflow's blocked one
    (everything else identical), to measure what that kernel costs. ott-jax 0.6.0's online mode
    needs `batching.is_vmappable`, gone from JAX's public module since 0.9 (ott-jax issue #700):
    point ott at JAX's private module, as ott's own later fix does."""
    import ott.utils
    from ott.geometry import pointcloud

    from dualflow.players import sinkhorn as player_module

    if not hasattr(ott.utils.batching, "is_vmappable"):
        ott.utils.batching = importlib.import_module("jax._src.interpreters.batching")
    blocked = player_module._blocked_point_cloud
    player_module._blocked_point_cloud = lambda: pointcloud.PointCloud
    try:
        yield
    finally:
        player_module._blocked_point_cloud = blocked


def peak_rss_gb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # kilobytes on Linux


def pot_velocity(x, y, a, b, epsilon, threshold, max_iterations, method):
    """POT: the two plans, then -dS/dx_j = 2 a_j (T_xy(x_j) - T_xx(x_j)); also the plans'
    iteration counts and their achieved l1 column-marginal errors."""
    import ot

    out = {}
    projections = []
    for name, target, weights in (("cross", y, b), ("self", x, a)):
        cost = ot.dist(x, target)  # squared Euclidean
        plan, log = ot.sinkhorn(
            a,
            weights,
            cost,
            reg=epsilon,
            method=method,
            stopThr=threshold,
            numItermax=max_iterations,
            log=True,
            warn=False,
        )
        projections.append(plan @ target / plan.sum(axis=1, keepdims=True))
        out[f"{name}_iterations"] = int(log["niter"]) + 1
        out[f"{name}_l1_marginal_error"] = float(np.abs(plan.sum(axis=0) - weights).sum())
        del plan, cost
    velocity = 2 * a[:, None] * (projections[0] - projections[1])
    return velocity, out


def geomloss_velocity(x, y, a, epsilon, scaling):
    """geomloss (`SamplesLoss("sinkhorn", p=2, debias=True)`, dense "tensorized" torch backend,
    epsilon-scaling down to the blur): its cost is |x - y|^2 / 2, so blur = sqrt(epsilon / 2) gives
    the same plans and S_eps = 2 S_geomloss; the velocity -dS/dx is -2 x its autograd gradient.
    geomloss anneals epsilon over a fixed schedule (`scaling`) instead of testing a threshold."""
    import torch
    from geomloss import SamplesLoss

    loss = SamplesLoss("sinkhorn", p=2, blur=(epsilon / 2) ** 0.5, debias=True, scaling=scaling, backend="tensorized")
    xt = torch.tensor(x, requires_grad=True)
    weights = torch.tensor(a)
    value = loss(weights, xt, weights, torch.tensor(y))
    (grad,) = torch.autograd.grad(value, xt)
    return -2 * grad.detach().numpy(), {"divergence": 2 * float(value.detach()), "scaling": scaling}


def dualflow_errors(x, y, a, duals, epsilon):
    """Achieved l1 column-marginal error of dualflow's two plans, rebuilt in NumPy from the dual
    vectors exactly as the velocity uses them (f the c-transform of g on the particles)."""
    errors = {}
    for name, target, weights, g in (("cross", y, a, duals.data_vector), ("self", x, a, duals.self_vector)):
        g = np.asarray(g, dtype=np.float64)
        logits = (g[None, :] - np.sum((x[:, None, :] - target[None]) ** 2, axis=-1)) / epsilon
        top = logits.max(axis=1, keepdims=True)
        plan = np.exp(logits - top)
        plan *= a[:, None] / plan.sum(axis=1, keepdims=True)  # rows exact, as after the f-update
        errors[f"{name}_l1_marginal_error"] = float(np.abs(plan.sum(axis=0) - weights).sum())
        del logits, plan
    return errors


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="N = M = 1000")
    parser.add_argument("--n", type=int, default=None, help="N = M (default 10000; 1000 with --quick)")
    parser.add_argument("--epsilon", type=float, default=0.05)
    parser.add_argument("--threshold", type=float, default=1e-4, help="stopping threshold of every solve")
    parser.add_argument("--max-iterations", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=256, help="dualflow's online block (rows)")
    parser.add_argument(
        "--dtypes",
        nargs="+",
        default=["float64", "float32"],
        choices=["float64", "float32"],
        help="run everything (dualflow and POT) in each of these dtypes",
    )
    parser.add_argument(
        "--pot-runs",
        nargs="+",
        default=["sinkhorn:l1", "sinkhorn:same"],
        help="POT runs as method:stop, method 'sinkhorn' or 'sinkhorn_log', stop 'l1' "
        "(stopThr = threshold / sqrt(M), which implies ott's l1 test) or 'same' "
        "(stopThr = threshold, a weaker l2 test)",
    )
    parser.add_argument(
        "--no-stock-ott",
        dest="stock_ott",
        action="store_false",
        help="skip the float64 run with ott's own online kernel in place of dualflow's",
    )
    parser.add_argument(
        "--reference-stop",
        type=float,
        default=1e-12,
        help="stopThr of an untimed float64 POT run every velocity is compared with (0: skip)",
    )
    parser.add_argument("--repeats", type=int, default=None, help="timed rounds (default 5; 3 at N >= 5000)")
    parser.add_argument(
        "--geomloss-scaling",
        type=float,
        default=0.9,
        help="geomloss's epsilon-scaling factor (closer to 1: more iterations; 0 skips geomloss)",
    )
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="JSON file ('' for none)")
    args = parser.parse_args(argv)
    n = args.n or (1000 if args.quick else 10_000)
    repeats = args.repeats or (3 if n >= 5000 else 5)
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import ot

    import dualflow as df
    from dualflow.players.sinkhorn import SinkhornPotentials

    key_data, key_blob = jax.random.split(jax.random.PRNGKey(0))
    y64 = np.asarray(df.ring8(key_data, n).points, dtype=np.float64)
    x64 = np.asarray(0.5 * jax.random.normal(key_blob, (n, 2), dtype=jnp.float64))
    player = SinkhornPotentials(
        epsilon=args.epsilon, threshold=args.threshold, max_iterations=args.max_iterations, batch_size=args.batch_size
    )
    problems, fns = {}, {}
    for name in args.dtypes:
        dtype = np.dtype(name)
        x, y, a = x64.astype(dtype), y64.astype(dtype), np.full(n, 1.0 / n, dtype)
        game = df.KernelGame(df.Measure(jnp.asarray(y)), player)
        velocity = jax.jit(lambda x, m, game=game: game.generator_velocity(None, x, m))
        duals = jax.jit(lambda x, m, game=game: game.discriminator.potentials(game, x, m))
        xj, aj = jnp.asarray(x), jnp.asarray(a)
        problems[name] = (x, y, a, duals(xj, aj))
        fns[f"dualflow {name}"] = lambda velocity=velocity, xj=xj, aj=aj: np.asarray(velocity(xj, aj))
        if args.stock_ott and name == "float64":
            stock = jax.jit(lambda x, m, game=game: game.generator_velocity(None, x, m))

            def run_stock(stock=stock, xj=xj, aj=aj):
                with stock_ott_kernel():
                    return np.asarray(stock(xj, aj))

            fns[f"dualflow with ott's stock online kernel {name}"] = run_stock
    for name, fn in fns.items():  # warm-up (compilation), before anything else: the RSS high-water
        clock = time.perf_counter()  # mark below is then dualflow's own
        fn()
        print(f"warm-up {name}: {time.perf_counter() - clock:.1f} s", flush=True)
    rss_after_dualflow = peak_rss_gb()
    pot_memory = {}
    for name in args.dtypes:
        x, y, a, _ = problems[name]
        for run in args.pot_runs:
            method, stop = run.split(":")
            stop_thr = args.threshold / np.sqrt(n) if stop == "l1" else args.threshold
            fns[f"POT {run} {name}"] = lambda x=x, y=y, a=a, method=method, stop_thr=stop_thr: pot_velocity(
                x, y, a, a, args.epsilon, stop_thr, args.max_iterations, method
            )
            tracemalloc.start()  # the warm-up run, for memory: tracing slows allocations down
            clock = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fns[f"POT {run} {name}"]()
            print(f"warm-up POT {run} {name}: {time.perf_counter() - clock:.1f} s", flush=True)
            pot_memory[f"POT {run} {name}"] = tracemalloc.get_traced_memory()[1] / 1e9
            tracemalloc.stop()
    geomloss_skipped = None
    if args.geomloss_scaling > 0:
        try:
            import geomloss  # noqa: F401
            import torch  # noqa: F401
        except ImportError as error:
            geomloss_skipped = f"geomloss skipped: {error}"
            print(geomloss_skipped, flush=True)
        else:
            for name in args.dtypes:
                x, y, a, _ = problems[name]
                label = f"geomloss tensorized {name}"
                fns[label] = lambda x=x, y=y, a=a: geomloss_velocity(x, y, a, args.epsilon, args.geomloss_scaling)
                clock = time.perf_counter()
                fns[label]()
                print(f"warm-up {label}: {time.perf_counter() - clock:.1f} s", flush=True)
    load_before = os.getloadavg()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        timings = interleaved(fns, repeats)
    load_after = os.getloadavg()
    reference = None
    if args.reference_stop > 0:  # untimed: a tightly converged velocity to measure every run's error against
        clock = time.perf_counter()
        reference, reference_info = pot_velocity(
            x64,
            y64,
            np.full(n, 1.0 / n),
            np.full(n, 1.0 / n),
            args.epsilon,
            args.reference_stop,
            10 * args.max_iterations,
            "sinkhorn",
        )
        print(f"reference (POT, stopThr {args.reference_stop:g}): {time.perf_counter() - clock:.1f} s", flush=True)

    row = {
        "n": n,
        "m": n,
        "dim": 2,
        "epsilon": args.epsilon,
        "threshold": args.threshold,
        "repeats": repeats,
        "device": str(jax.devices()[0]),
        "cpu_count": os.cpu_count(),
        "date": time.strftime("%Y-%m-%d"),
        "versions": {
            "jax": jax.__version__,
            "ott-jax": importlib.metadata.version("ott-jax"),
            "pot": ot.__version__,
            "numpy": np.__version__,
        },
        "data": "dualflow.ring8(key, n) (radius 2, std 0.02), key = split(PRNGKey(0))[0]",
        "particles": "0.5 * normal(split(PRNGKey(0))[1], (n, 2)); uniform masses 1/n",
        "dualflow_settings": (
            "SinkhornPotentials(epsilon, threshold, batch_size): ott-jax Sinkhorn, lse_mode, online "
            "PointCloud(batch_size); mu->nu with adaptive momentum Momentum(start=50, inner_iterations=10), mu->mu "
            "with parallel updates and momentum 0.5; each stops when its l1 column-marginal error < threshold "
            "(checked every 10 iterations); velocity from the c-transforms at the particles in blocks of "
            "batch_size points; jitted, compiled before timing"
        ),
        "pot_settings": (
            "ot.dist, then ot.sinkhorn(a, b, C, reg=epsilon, method, stopThr, numItermax=max_iterations) for "
            "mu->nu and mu->mu (POT stops when the l2 column-marginal error < stopThr, checked every 10 "
            "iterations); velocity 2 a_j (P_xy y / P_xy 1 - P_xx x / P_xx 1)_j in NumPy"
        ),
        "batch_size": args.batch_size,
        "load_average_1min_before_and_after_timing": [load_before[0], load_after[0]],
        "reference": None
        if reference is None
        else {
            "settings": f"POT ot.sinkhorn(method='sinkhorn', stopThr={args.reference_stop:g}) in float64, untimed",
            **reference_info,
        },
        "peak_rss_gb_after_dualflow_only": rss_after_dualflow,
        "runs": {},
    }
    for name in args.dtypes:
        x, y, a, duals = problems[name]
        t_dual, times_dual, v_dual = timings[f"dualflow {name}"]
        row["runs"][f"dualflow {name}"] = {
            "seconds": t_dual,
            "all_seconds": times_dual,
            "dtype": name,
            "converged": np.asarray(duals.converged).tolist(),
            "cross_iterations": int(duals.iterations[0]),
            "self_iterations": int(duals.iterations[1]),
            **dualflow_errors(x.astype(np.float64), y.astype(np.float64), a.astype(np.float64), duals, args.epsilon),
            "max_abs_velocity": float(np.max(np.abs(v_dual))),
        }
        stock_label = f"dualflow with ott's stock online kernel {name}"
        if stock_label in timings:
            t_stock, times_stock, v_stock = timings[stock_label]
            row["runs"][stock_label] = {
                "seconds": t_stock,
                "all_seconds": times_stock,
                "dtype": name,
                "cross_iterations": int(duals.iterations[0]),
                "self_iterations": int(duals.iterations[1]),
                "time_over_dualflow": t_stock / t_dual,
                "velocity_max_abs_diff_relative_to_dualflow": float(
                    np.max(np.abs(v_stock - v_dual)) / np.max(np.abs(v_dual))
                ),
            }
        if name != args.dtypes[0]:
            ref = timings[f"dualflow {args.dtypes[0]}"][2]
            row["runs"][f"dualflow {name}"][f"velocity_max_abs_diff_relative_to_dualflow_{args.dtypes[0]}"] = float(
                np.max(np.abs(v_dual - ref)) / np.max(np.abs(ref))
            )
        for run in args.pot_runs:
            t_pot, times_pot, (v_pot, info) = timings[f"POT {run} {name}"]
            method, stop = run.split(":")
            scale = float(np.max(np.abs(v_pot)))
            row["runs"][f"POT {run} {name}"] = {
                "seconds": t_pot,
                "all_seconds": times_pot,
                "dtype": name,
                "method": method,
                "stopThr": args.threshold / np.sqrt(n) if stop == "l1" else args.threshold,
                **info,
                "peak_numpy_alloc_gb": pot_memory[f"POT {run} {name}"],
                "time_over_dualflow": t_pot / t_dual,
                "max_abs_velocity": scale,
                "velocity_max_abs_diff_relative_to_dualflow": float(np.max(np.abs(v_dual - v_pot))) / scale,
            }
        label = f"geomloss tensorized {name}"
        if label in timings:
            t_geo, times_geo, (v_geo, info) = timings[label]
            scale = float(np.max(np.abs(v_geo)))
            row["runs"][label] = {
                "seconds": t_geo,
                "all_seconds": times_geo,
                "dtype": name,
                **info,
                "cross_iterations": 0,
                "self_iterations": 0,
                "time_over_dualflow": t_geo / t_dual,
                "velocity_max_abs_diff_relative_to_dualflow": float(np.max(np.abs(v_dual - v_geo))) / scale,
            }
    if geomloss_skipped:
        row["geomloss"] = geomloss_skipped
    if reference is not None:
        scale = float(np.max(np.abs(reference)))
        for label, r in row["runs"].items():
            result = timings[label][2]
            velocity = result[0] if isinstance(result, tuple) else result  # POT runs also return their info
            r["velocity_max_abs_error_relative_to_reference"] = float(np.max(np.abs(velocity - reference))) / scale
    row["peak_rss_gb_end"] = peak_rss_gb()

    print(
        f"Sinkhorn-flow velocity, N = M = {n}, d = 2, epsilon = {args.epsilon:g}, threshold = {args.threshold:g}, "
        f"median of {repeats} ({row['device']}, {row['cpu_count']} CPUs)"
    )
    print(
        f"{'run':<46}{'median s':>10}{'iterations':>12}{'l1 marginal errors':>20}{'time / dualflow':>17}"
        f"{'max rel diff':>14}{'error vs ref':>14}"
    )
    for label, r in row["runs"].items():
        ratio = f"{r['time_over_dualflow']:.2f}" if "time_over_dualflow" in r else "1"
        diff = r.get("velocity_max_abs_diff_relative_to_dualflow")
        errors = (
            f"{r['cross_l1_marginal_error']:.1e}/{r['self_l1_marginal_error']:.1e}"
            if "cross_l1_marginal_error" in r
            else "same as dualflow"
        )
        print(
            f"{label:<46}{r['seconds']:>10.3f}{r['cross_iterations']:>6}/{r['self_iterations']:<5}{errors:>20}"
            f"{ratio:>17}{'' if diff is None else f'{diff:.1e}':>14}"
            f"{r.get('velocity_max_abs_error_relative_to_reference', float('nan')):>14.1e}"
        )
    print(
        "iterations and l1 marginal errors: mu -> nu / mu -> mu; time / dualflow and max rel diff against "
        "dualflow in the same dtype;\nerror vs ref: max |v - v_ref| / max |v_ref|, v_ref from POT run to "
        f"stopThr {args.reference_stop:g} (float64, untimed)"
    )
    print(
        f"peak RSS {rss_after_dualflow:.2f} GB after the dualflow runs alone, {row['peak_rss_gb_end']:.2f} GB at the "
        "end; POT's peak NumPy allocation: " + ", ".join(f"{k[4:]} {v:.2f} GB" for k, v in pot_memory.items())
    )
    if args.out:
        path = pathlib.Path(args.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(row, indent=2))
        print(f"wrote {path}")
    return row


def run(quick: bool) -> list[dict]:
    """The suite's rows: dualflow's float64 and float32 velocity against POT (same guarantee and
    same number) and geomloss, each with its velocity error against the tight reference."""
    from common import row as suite_row

    result = main((["--quick"] if quick else []) + ["--out", ""])
    n = result["n"]
    rows = []
    for label, r in result["runs"].items():
        if label.startswith("dualflow with") or label.startswith("dualflow "):
            continue
        dtype = r["dtype"]
        ours = result["runs"][f"dualflow {dtype}"]
        rows.append(
            suite_row(
                "sinkhorn step",
                f"N=M={n} d=2 {dtype}",
                dualflow_s=ours["seconds"],
                baseline=label.rsplit(" ", 1)[0],
                baseline_s=r["seconds"],
                agreement=r.get("velocity_max_abs_error_relative_to_reference"),
                agreement_kind="baseline's velocity error vs a tight reference (relative max)",
                note=f"dualflow's error {ours.get('velocity_max_abs_error_relative_to_reference', float('nan')):.1e}",
            )
        )
    return rows


if __name__ == "__main__":
    main()

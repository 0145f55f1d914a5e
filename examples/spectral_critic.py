"""The exact Gaussian critic on a spectral lattice: its accuracy, its cost, and its game.

Three measurements (docs/science.md §6; `SpectralRKHS`, `kernel_sums(method="spectral")`):

1. **Accuracy against the tolerance.** Gaussian kernel sums (sigma = 0.4, 2-D, points on the
   8-ring and a blob, random signed weights) by the lattice at tol = 1e-3 ... 1e-12, against a
   plain NumPy brute-force sum: the error, normalised by K(0) sum|beta| (the bound's scale), stays
   below tol and falls with it. Beside it, the kernel error of random Fourier features with D
   features (the same normalisation): it falls like D^(-1/2).
2. **Cost against N.** One evaluation of the MMD-flow velocity field (values and gradients at N
   particles, centres the N particles and N data points) by the lattice and by brute force.
3. **The game.** The 8-ring dual flow (kappa = 3, lam = 0.05, Wasserstein velocity) with
   `SpectralRKHS` (adaptive Tsit5) against the `ExactRKHS` history flow, and GDA with both
   critics: the largest particle distance between them.

    python examples/spectral_critic.py [--quick] [--out DIR]
"""

import time

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
from example_cli import finish, parse  # first: float64 and a headless matplotlib backend

import dualflow as df

SIGMA, REG, KAPPA = 0.4, 0.05, 3.0


def numpy_sums(x, z, c):
    diff = x[:, None, :] - z[None, :, :]
    k = np.exp(-np.sum(diff**2, -1) / (2 * SIGMA**2))
    return k @ c, np.einsum("nk,k,nkd->nd", k, c, -diff / SIGMA**2)


def points(n, seed):
    k1, k2 = jax.random.split(jax.random.PRNGKey(seed))
    return jnp.concatenate([df.ring8(k1, n // 2).points, 0.5 * jax.random.normal(k2, (n - n // 2, 2))])


def accuracy(n):
    x, z = points(n, 0), points(n, 1)
    c = jnp.asarray(np.random.default_rng(0).normal(size=n))
    ev, eg = numpy_sums(np.asarray(x), np.asarray(z), np.asarray(c))
    scale = float(jnp.sum(jnp.abs(c)))
    tols = [1e-3, 1e-5, 1e-7, 1e-9, 1e-12]
    errors = []
    for tol in tols:
        v, g = df.kernel_sums(df.Gaussian(SIGMA), x, z, c, method="spectral", tol=tol)
        errors.append(max(np.max(np.abs(np.asarray(v) - ev)), SIGMA * np.max(np.abs(np.asarray(g) - eg))) / scale)
    features = [16, 64, 256, 1024, 4096]
    rff = []
    for d in features:
        phi = df.RandomFourier(df.Gaussian(SIGMA), d, 2, key=jax.random.PRNGKey(d))
        fx = np.asarray(phi(x)) @ (np.asarray(phi(z)).T @ np.asarray(c))
        rff.append(np.max(np.abs(fx - ev)) / scale)
    return tols, errors, features, rff


def cost(sizes):
    rows = []
    for n in sizes:
        x = points(n, 2)
        centres = jnp.concatenate([points(n, 3), x])
        coefs = jnp.concatenate([jnp.full(n, 1.0 / n), jnp.full(n, -1.0 / n)]) / REG
        times = {}
        lattice = lattice_for(x, centres)
        for method in ("spectral", "brute"):
            f = jax.jit(
                lambda a, cc, w, m=method: df.kernel_sums(
                    df.Gaussian(SIGMA), a, cc, w, method=m, lattice=lattice if m == "spectral" else None
                )
            )
            jax.block_until_ready(f(x, centres, coefs))
            start = time.perf_counter()
            jax.block_until_ready(f(x, centres, coefs))
            times[method] = time.perf_counter() - start
        rows.append({"n": n, **{f"{k}_s": v for k, v in times.items()}})
    return rows


def lattice_for(x, centres):
    both = np.concatenate([np.asarray(x), np.asarray(centres)])
    return df.SpectralLattice.fit(df.Gaussian(SIGMA), both.min(), both.max(), 2, 1e-10)


def game_agreement(n, horizon):
    k_data, k_gen = jax.random.split(jax.random.PRNGKey(4))
    data = df.ring8(k_data, 2 * n)
    x0 = df.Measure(0.2 * jax.random.normal(k_gen, (n, 2)))
    games = {
        name: df.KernelGame(data, critic(df.Gaussian(SIGMA)), reg=REG, velocity="wasserstein")
        for name, critic in (("spectral", df.SpectralRKHS), ("history", df.ExactRKHS))
    }
    result = {}
    start = time.perf_counter()
    spectral_flow = df.solve(
        games["spectral"], x0, df.DualFlow(kappa=KAPPA, rtol=1e-9, atol=1e-11), t1=horizon, n_saves=11
    )
    result["spectral_flow_s"] = time.perf_counter() - start
    start = time.perf_counter()
    history_flow = df.solve(games["history"], x0, df.DualFlow(kappa=KAPPA, dt0=horizon / 2000), t1=horizon, n_saves=11)
    result["history_flow_s"] = time.perf_counter() - start
    result["flow_max_distance"] = float(np.max(np.abs(np.asarray(spectral_flow.points - history_flow.points))))
    gda = {
        name: df.solve(game, x0, df.GDA(lr_g=0.05, lr_d=KAPPA * 0.05), n_steps=int(horizon / 0.05), save_every=10)
        for name, game in games.items()
    }
    result["gda_max_distance"] = float(np.max(np.abs(np.asarray(gda["spectral"].points - gda["history"].points))))
    result["spectral_flow_steps"] = int(spectral_flow.stats["num_steps"])
    return result


def main(argv=None):
    quick, out = parse(__doc__, "dualflow-output/spectral_critic", argv)
    tols, errors, features, rff = accuracy(300 if quick else 1000)
    rows = cost([1000, 4000] if quick else [1000, 4000, 16_000, 32_000])
    game = game_agreement(32 if quick else 128, 2.0 if quick else 10.0)

    fig, (ax_acc, ax_rff, ax_cost) = plt.subplots(1, 3, figsize=(14, 4.2))
    ax_acc.loglog(tols, errors, "o-", label="spectral lattice: measured error")
    ax_acc.loglog(tols, tols, "k--", lw=1, label="the bound (error = tol)")
    ax_acc.set_xlabel("tol")
    ax_acc.set_ylabel("max error / (K(0) Σ|β|)")
    ax_acc.set_title("spectral kernel sums vs NumPy brute force", fontsize=10)
    ax_acc.invert_xaxis()
    ax_acc.legend(fontsize=8)
    ax_rff.loglog(features, rff, "s-", color="C1", label="random Fourier features")
    ax_rff.loglog(features, rff[0] * np.sqrt(features[0] / np.asarray(features)), "k:", lw=1, label="∝ D^(-1/2)")
    ax_rff.set_xlabel("number of features D")
    ax_rff.set_ylabel("max error / (K(0) Σ|β|)")
    ax_rff.set_title("random features of the same kernel", fontsize=10)
    ax_rff.legend(fontsize=8)
    ns = [r["n"] for r in rows]
    ax_cost.loglog(ns, [r["spectral_s"] for r in rows], "o-", label="spectral (two NUFFTs)")
    ax_cost.loglog(ns, [r["brute_s"] for r in rows], "s-", label="brute force (every pair)")
    ax_cost.set_xlabel("N (particles; centres 2N)")
    ax_cost.set_ylabel("seconds per velocity field")
    ax_cost.set_title("MMD-flow velocity field, 2-D float64", fontsize=10)
    ax_cost.legend(fontsize=8)
    for ax in (ax_acc, ax_rff, ax_cost):
        ax.grid(alpha=0.3, which="both")
    fig.suptitle(
        f"Gaussian kernel σ = {SIGMA}: the spectral lattice holds it to tol; flow vs history flow: "
        f"{game['flow_max_distance']:.1e}, GDA vs history GDA: {game['gda_max_distance']:.1e}",
        fontsize=11,
    )
    fig.tight_layout()
    results = {
        "accuracy": {"tol": tols, "error": errors},
        "random_features": {"D": features, "error": rff},
        "cost": rows,
        "game": game,
    }
    print(f"spectral errors {[f'{e:.1e}' for e in errors]} at tol {tols}; RFF errors {[f'{e:.1e}' for e in rff]}")
    print(f"flow vs history flow {game['flow_max_distance']:.2e}, GDA vs history GDA {game['gda_max_distance']:.2e}")
    return finish(out, {"spectral_critic.png": fig}, results, "spectral_critic.json")


if __name__ == "__main__":
    main()

"""Does the local convergence rate of kernel GDA depend on the dimension?

After Becker, Pandit, Rangan and Fletcher, "Local Convergence of Gradient Descent-Ascent for
Training Generative Adversarial Networks" (arXiv 2305.08277, 2023; docs/science.md §3): a cluster
of n = 4 generated points (mass w = .2 each, total .8) collapsed on one true point (mass
p = 1, so delta = .2 > 0) in dimension d = 1..8 (`--quick`: 1..3), exact Gaussian-RKHS
discriminator (sigma = 1, reg = .5), alternating GDA (D first) with lr_g = .2, lr_d = .4.
The parameters put the three mode families far apart, so each can be read off:
rest 1 - a = .8, spread 1 - b = .984 (dominant), coupled pair |rho| = .8872.

Result (full run): the dominant |rho| from `linearize` is .984 for every d (spread over d
1.4e-15, equal to the closed form), the rates fitted from simulation match it to 3e-14 and
the pair to 2e-13, and the multiplicities are exactly (n-1) d, 2d and (n-1) d.

The isolated-points linearization (per step, a = lr_d reg, b = lr_g w delta/(reg sigma^2),
c = lr_g lr_d w ptot/sigma^2) has, in dimension d:
- (n-1) d spread modes 1 - b (the points separate inside the cluster),
- d copies of the coupled pair (cluster mean with the discriminator's slope, one per coordinate),
- the discriminator's rest mode 1 - a (and, in the kernel-trick matrix, (n-1) d copies of it
  from the redundant coordinates of coincident points).

The Gaussian kernel is isotropic and its Hessian at the collapsed point is -I/sigma^2, so the
linearized map is a direct sum of d identical per-coordinate blocks: **the rates do not depend
on d, only their multiplicities do** (the number of slow directions grows like (n-1) d). This
example verifies both: `linearize(...)` for each d (dominant |rho|, the coupled pair, and how
many eigenvalues fall in each family), and the rates fitted by `fitted_eigenvalues` on the
exact nonlinear GDA run started at the equilibrium plus a random 1e-7 offset with the
discriminator at the equilibrium's best response (`init_discriminator=<equilibrium Measure>`).
The dimension does enter elsewhere: in the nonlinear second-moment model the curvature is fed
by the total spread sum_l nu_l, which is where d matters for runs started far from the
equilibrium (not studied here).

    python examples/dimension_study.py [--quick] [--out DIR]
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
from example_cli import finish, parse  # first: float64 and a headless matplotlib backend

import dualflow as df
from dualflow.analysis import isolated_points as ip
from dualflow.analysis.linearization import linearize
from dualflow.analysis.rates import fitted_eigenvalues

P, N, W, SIGMA, REG, LR_G, LR_D = 1.0, 4, 0.2, 1.0, 0.5, 0.2, 0.4
ORDER = "alternating_d_first"
TOL = 1e-8  # eigenvalues within TOL of a family value belong to it


def main(argv=None):
    quick, out = parse(__doc__, "dualflow-output/dimension-study", argv)
    dims = [1, 2, 3] if quick else list(range(1, 9))
    n_steps = 200
    solver = df.GDA(lr_g=LR_G, lr_d=LR_D, order=ORDER)
    lin = eqx.filter_jit(linearize)
    a, b, _ = (float(v) for v in ip.isolated_coefficients(LR_G, LR_D, REG, SIGMA, W, P, N))
    pair = np.linalg.eigvals(np.asarray(ip.isolated_gda_map(LR_G, LR_D, REG, SIGMA, W, P, N, ORDER)))
    closed = float(ip.isolated_spectral_radius(LR_G, LR_D, REG, SIGMA, W, P, N, ORDER))
    families = {"spread 1-b": [1 - b], "coupled pair": list(pair), "rest 1-a": [1 - a]}

    rows = []
    for d in dims:
        data = df.Measure(jnp.zeros((1, d)), jnp.array([P]))
        game = df.KernelGame(data, df.ExactRKHS(df.Gaussian(SIGMA)), reg=REG)
        equilibrium = df.Measure(jnp.zeros((N, d)), jnp.full(N, W))
        linear = lin(game, equilibrium, solver)
        eigs = np.asarray(linear.eigenvalues)
        counts = {
            name: int(sum(np.min(np.abs(e - np.array(vals))) < TOL for e in eigs)) for name, vals in families.items()
        }
        x0 = 1e-7 * jax.random.normal(jax.random.PRNGKey(d), (N, d))
        sol = df.solve(
            game, df.Measure(x0, equilibrium.masses), solver, n_steps=n_steps, init_discriminator=equilibrium
        )
        # last save dropped: with a best-response start the exact history's buffer is one slot short
        fitted = fitted_eigenvalues(np.asarray(sol.points[:-1]))
        fitted_pair = fitted[np.argmin(np.abs(fitted - pair[0]))]
        rows.append(
            {
                "d": d,
                "predicted_rho": float(linear.growth),
                "dominant_mode": linear.dominant_mode,
                "predicted_pair_modulus": float(np.abs(pair[0])),
                "linearized_pair_modulus": float(np.abs(eigs[np.argmin(np.abs(eigs - pair[0]))])),
                "fitted_rho": float(np.abs(fitted[0])),
                "fitted_pair_modulus": float(np.abs(fitted_pair)),
                "n_fitted_modes": int(len(fitted)),
                "family_counts": counts,
                "expected_counts": {"spread 1-b": (N - 1) * d, "coupled pair": 2 * d, "rest 1-a": (N - 1) * d},
                "matrix_size": int(len(eigs)),
            }
        )

    results = {
        "p": P,
        "n": N,
        "w": W,
        "sigma": SIGMA,
        "reg": REG,
        "lr_g": LR_G,
        "lr_d": LR_D,
        "order": ORDER,
        "closed_form_rho": closed,
        "spread": 1 - b,
        "rest": 1 - a,
        "pair_modulus": float(np.abs(pair[0])),
        "rows": rows,
        "max_predicted_spread_over_d": float(np.ptp([r["predicted_rho"] for r in rows])),
        "max_fit_relative_error": max(abs(r["fitted_rho"] - r["predicted_rho"]) / r["predicted_rho"] for r in rows),
        "max_pair_fit_relative_error": max(
            abs(r["fitted_pair_modulus"] - r["predicted_pair_modulus"]) / r["predicted_pair_modulus"] for r in rows
        ),
        "multiplicities_match": all(r["family_counts"] == r["expected_counts"] for r in rows),
    }

    fig, (ax, ax_m) = plt.subplots(1, 2, figsize=(12, 4.6))
    ds = np.array(dims)
    ax.axhline(closed, color="k", ls="--", lw=1, label=f"closed form (isolated points): {closed:.4f}")
    ax.plot(ds, [r["predicted_rho"] for r in rows], "C0-", lw=2, label="linearize: dominant |ρ| (spread mode)")
    ax.plot(
        ds, [r["fitted_rho"] for r in rows], "C0o", ms=8, mfc="none", mew=2, label="fitted from simulation: dominant"
    )
    ax.plot(ds, [r["linearized_pair_modulus"] for r in rows], "C1-", lw=2, label="linearize: coupled pair |ρ|")
    ax.plot(
        ds,
        [r["fitted_pair_modulus"] for r in rows],
        "C1s",
        ms=8,
        mfc="none",
        mew=2,
        label="fitted from simulation: pair",
    )
    ax.axhline(
        1 - a, color="C2", lw=1.5, label=f"rest mode 1 - a = {1 - a:g} (not excited: f starts at its best response)"
    )
    ax.set_xlabel("dimension d")
    ax.set_ylabel("per-step contraction factor |ρ|")
    ax.set_title(f"n = {N} points of mass {W:g} on a true point of mass {P:g}: rates against d", fontsize=10)
    ax.set_xticks(ds)
    ax.set_ylim(0.55, 1.0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    for i, (name, marker) in enumerate((("spread 1-b", "o"), ("coupled pair", "s"), ("rest 1-a", "^"))):
        ax_m.plot(
            ds + 0.12 * (i - 1),
            [r["family_counts"][name] for r in rows],
            marker,
            color=f"C{i}",
            ms=8,
            mfc="none",
            mew=2,
            label=f"{name}: found in linearize",
        )
        ax_m.plot(
            ds,
            [r["expected_counts"][name] for r in rows],
            "-",
            color=f"C{i}",
            lw=1,
            label={
                "spread 1-b": "expected (n-1) d",
                "coupled pair": "expected 2 d (d pairs)",
                "rest 1-a": "expected (n-1) d copies",
            }[name],
        )
    ax_m.set_xlabel("dimension d")
    ax_m.set_ylabel("number of eigenvalues")
    ax_m.set_title("multiplicities of each mode family (markers shifted sideways)", fontsize=10)
    ax_m.set_xticks(ds)
    ax_m.grid(alpha=0.3)
    ax_m.legend(fontsize=8, ncol=2)
    fig.tight_layout()

    print(
        f"closed form |rho| = {closed:.6f}; spread 1-b = {1 - b:g}, pair |rho| = {abs(pair[0]):.6f}, rest 1-a = {1 - a:g}"
    )
    for r in rows:
        print(
            f"  d={r['d']}: linearize |rho| {r['predicted_rho']:.10f} ({r['dominant_mode']}), fitted {r['fitted_rho']:.10f}; "
            f"pair {r['linearized_pair_modulus']:.6f} / fitted {r['fitted_pair_modulus']:.6f}; counts {r['family_counts']}"
        )
    print(
        f"dominant |rho| varies by {results['max_predicted_spread_over_d']:.1e} over d; fit relative error "
        f"{results['max_fit_relative_error']:.1e} (pair {results['max_pair_fit_relative_error']:.1e}); "
        f"multiplicities as expected: {results['multiplicities_match']}"
    )
    return finish(out, {"dimension_study.png": fig}, results, "dimension_study.json")


if __name__ == "__main__":
    main()

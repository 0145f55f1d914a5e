"""Neural players on the 8-Gaussian ring: a neural generator against a neural and a random-feature
critic, under four payoffs, next to free particles under the same critic.

Data: 8 Gaussians of std 0.1 on the circle of radius 2 (`dualflow.ring8(key, n, std=0.1)`).
Generators (both start from the same points G_0(z_j), so every run has the same start):
- neural: `NeuralGenerator(eqx.nn.MLP(2, 2, ...), z)` on fixed latents z ~ N(0, I_2); the
  "mass_weighted" velocity pulled back through the network is plain gradient descent of the
  generator's mean loss;
- particles: the points G_0(z_j) moved freely (a `Measure`) with the "wasserstein" velocity
  (each particle moves along the critic's gradient, independently of the number of particles).
Critics (same initialization in every run):
- neural: `NeuralDiscriminator(eqx.nn.MLP(2, "scalar", ..., activation=softplus))`;
- RFF: `FiniteRank(RandomFourier(Gaussian(0.5), D, 2))`, f = theta . phi.
Payoffs: Logistic (vanilla GAN), NonSaturating (not zero-sum: two payoffs, outside the
single-payoff theory), WGAN with gradient penalty 1 (5 critic steps per generator step) and the
KernelIPM (ridge 0.1 for the RFF critic: the kernel game of docs/science.md §2; for the neural critic
the ridge is weight decay 1e-3). Logistic and NonSaturating also carry a weight decay 1e-3.
Alternating GDA (critic first), lr_g = 0.05, lr_d = 0.2.

Reported per configuration (JSON): MMD to the data (Gaussian kernel, bandwidth 0.5) at the
start, along the run and at the end; modes covered, high-quality fraction and per-mode
occupancy at the end (`dualflow.metrics.mode_coverage` with std = 0.1, the data's std: a mode
is covered when it holds >= 5% of the samples within 3 std of its centre); whether the game is
zero-sum; the run's result code. Figure `neural_gan.png`: the final samples of every
configuration (rows: critic x generator; columns: payoffs) over the data, with the 3-std balls.

These are short runs with fixed rates, not tuned GAN training: the numbers compare the
configurations under one budget, they are not the best each can do. A run that ends early
(`throw=False`: e.g. BLEW_UP when a neural critic under the unconstrained kernel IPM, held only
by weight decay, grows without bound in the full run) is reported with its result code and
its last finite state.

    python examples/neural_gan.py [--quick] [--out DIR]
"""

import equinox as eqx
import jax
import matplotlib.pyplot as plt
import numpy as np
from example_cli import finish, parse  # first: float64 and a headless matplotlib backend

import dualflow as df
from dualflow.kernels import RandomFourier
from dualflow.measures.targets import ring8_centres
from dualflow.metrics import mmd, mode_coverage

DATA_STD, RING_RADIUS = 0.1, 2.0
LR_G, LR_D = 0.05, 0.2
METRIC = df.Gaussian(0.5)  # kernel of the reported MMD
FRAME = 3.0  # half-width of the plotted window
#: payoff, ridge for the RFF critic, ridge (weight decay) for the neural critic, n_critic
PAYOFFS = {
    "Logistic": (df.Logistic(), 1e-3, 1e-3, 1),
    "NonSaturating": (df.NonSaturating(), 1e-3, 1e-3, 1),
    "WGAN-GP": (df.WGAN(gradient_penalty=1.0), 1e-3, 1e-3, 5),
    "KernelIPM": (df.KernelIPM(), 0.1, 1e-3, 1),
}


def setup(quick, key):
    """Data, latents, the generator network, and the two critics, from explicit keys."""
    n_data, n_gen, width, n_features = (256, 128, 32, 128) if quick else (512, 256, 64, 256)
    k_data, k_latent, k_gen, k_critic, k_rff = jax.random.split(key, 5)
    data = df.ring8(k_data, n_data, radius=RING_RADIUS, std=DATA_STD)
    latents = jax.random.normal(k_latent, (n_gen, 2))
    network = eqx.nn.MLP(2, 2, width, 2, activation=jax.nn.tanh, key=k_gen)
    critics = {
        "neural critic": df.NeuralDiscriminator(
            eqx.nn.MLP(2, "scalar", width, 2, activation=jax.nn.softplus, key=k_critic)
        ),
        "RFF critic": df.FiniteRank(RandomFourier(df.Gaussian(0.5), n_features, 2, key=k_rff)),
    }
    return data, latents, network, critics


def main(argv=None):
    quick, out = parse(__doc__, "dualflow-output/neural-gan", argv)
    n_steps, n_saves = (400, 4) if quick else (3000, 10)
    data, latents, network, critics = setup(quick, jax.random.PRNGKey(0))
    start = jax.vmap(network)(latents)  # G_0(z_j): the common start of every run
    centres = ring8_centres(RING_RADIUS)
    generators = {
        "neural generator": (df.NeuralGenerator(network, latents), "mass_weighted"),
        "free particles": (df.Measure(start), "wasserstein"),
    }
    mmd_start = float(mmd(METRIC, df.Measure(start), data))
    summary = {
        "n_steps": n_steps,
        "lr_g": LR_G,
        "lr_d": LR_D,
        "data_std": DATA_STD,
        "n_data": data.size,
        "n_generated": int(latents.shape[0]),
        "mmd_bandwidth": 0.5,
        "mmd_start": mmd_start,
        "runs": {},
    }
    finals = {}
    for critic_name, critic in critics.items():
        for gen_name, (generator, velocity) in generators.items():
            for payoff_name, (payoff, reg_rff, reg_neural, n_critic) in PAYOFFS.items():
                reg = reg_rff if critic_name == "RFF critic" else reg_neural
                game = df.KernelGame(data, critic, reg=reg, payoff=payoff, velocity=velocity)
                sol = df.solve(
                    game,
                    generator,
                    df.GDA(LR_G, LR_D, n_critic=n_critic),
                    n_steps=n_steps,
                    save_every=n_steps // n_saves,
                    throw=False,
                )
                final = np.asarray(sol.final_points)
                cov = mode_coverage(final, centres, DATA_STD)
                curve = [float(mmd(METRIC, df.Measure(x), data)) for x in sol.points]
                name = f"{critic_name} / {gen_name} / {payoff_name}"
                finals[name] = final
                summary["runs"][name] = {
                    "critic": critic_name,
                    "generator": gen_name,
                    "payoff": payoff_name,
                    "zero_sum": type(payoff).zero_sum,
                    "reg": reg,
                    "n_critic": n_critic,
                    "velocity": velocity,
                    "result": sol.result_name,
                    "finite": bool(np.all(np.isfinite(final))),
                    "mmd_start": curve[0],
                    "mmd_end": curve[-1],
                    "mmd_over_time": curve,
                    "steps_saved": [int(round(float(t) / LR_G)) for t in np.asarray(sol.ts)],
                    "modes_covered": int(cov.n_covered),
                    "high_quality_fraction": float(cov.high_quality_fraction),
                    "occupancy": np.asarray(cov.occupancy).round(4).tolist(),
                }
                print(
                    f"{name:58s} MMD {curve[0]:.3f} -> {curve[-1]:.3f}   modes {int(cov.n_covered)}/8   "
                    f"high quality {float(cov.high_quality_fraction):.2f}   {sol.result_name}",
                    flush=True,
                )

    rows = [(c, g) for c in critics for g in generators]
    fig, axes = plt.subplots(
        len(rows), len(PAYOFFS), figsize=(3.3 * len(PAYOFFS), 3.35 * len(rows)), sharex=True, sharey=True
    )
    theta = np.linspace(0, 2 * np.pi, 60)
    data_pts = np.asarray(data.points)
    for i, (critic_name, gen_name) in enumerate(rows):
        for j, payoff_name in enumerate(PAYOFFS):
            ax = axes[i, j]
            run = summary["runs"][f"{critic_name} / {gen_name} / {payoff_name}"]
            ax.scatter(data_pts[:, 0], data_pts[:, 1], s=3, c="0.65", lw=0, label="data")
            for c in np.asarray(centres):
                ax.plot(c[0] + 3 * DATA_STD * np.cos(theta), c[1] + 3 * DATA_STD * np.sin(theta), "k-", lw=0.5)
            x = finals[f"{critic_name} / {gen_name} / {payoff_name}"]
            outside = np.any(np.abs(x) > FRAME, axis=1)
            ax.scatter(x[~outside, 0], x[~outside, 1], s=5, c="tab:red", lw=0, label="generated (final)")
            edge = np.clip(x[outside], -0.97 * FRAME, 0.97 * FRAME)
            ax.scatter(
                edge[:, 0],
                edge[:, 1],
                s=14,
                c="darkred",
                marker="x",
                lw=0.8,
                label="generated, outside the frame (drawn on its edge)",
            )
            ended = "" if run["result"] == "SUCCESSFUL" else f"; ended: {run['result']}"
            ax.set_title(
                f"{payoff_name}: {run['modes_covered']}/8 modes, MMD {run['mmd_end']:.3f}\n"
                f"{int(outside.sum())}/{x.shape[0]} outside the frame{ended}",
                fontsize=9,
                color="k" if not ended else "darkred",
            )
            ax.set_xlim(-FRAME, FRAME)
            ax.set_ylim(-FRAME, FRAME)
            ax.set_aspect("equal")
            ax.tick_params(labelsize=7)
            if j == 0:
                ax.set_ylabel(f"{critic_name}\n{gen_name}", fontsize=9)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(
        handles,
        [label.replace("\n", " ") for label in labels],
        loc="lower center",
        ncol=3,
        fontsize=9,
        markerscale=2.5,
        frameon=False,
    )
    fig.suptitle(
        f"8-Gaussian ring (std {DATA_STD}): final samples after {n_steps} GDA steps. Every run starts from "
        f"the same {latents.shape[0]} points G_0(z) near the origin (MMD {mmd_start:.2f}).\n"
        "Circles: 3 std around each mode (a mode is covered when it holds >= 5% of the samples); "
        "coincident samples hide each other.",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0.025, 1, 1))
    return finish(out, {"neural_gan.png": fig}, summary, "neural_gan.json")


if __name__ == "__main__":
    main()

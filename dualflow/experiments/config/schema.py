r"""The schema of a study configuration: its keys, defaults, ranges and choices (checked by `config.validate`).

A study config is a TOML file (read with `tomllib`) with these tables; every key has a default
except where noted, and unknown keys are rejected with the closest valid key suggested.

```toml
name = "ring8_kappa"          # used in titles and file names (default: the file's stem)
description = "..."           # free text, copied into summary.json
seeds = 5                     # a count n (seeds 0..n-1) or a list of distinct integers >= 0
precision = "float64"         # "float64" or "float32" (the runs; metrics are always float64)

[target]
name = "ring8"                # "ring8" (8 Gaussians on a circle) or "grid25" (5x5 grid)
n_data = 256                  # samples of the target (M)
std = 0.02                    # std of every mode
radius = 2.0                  # ring8: radius of the circle
spacing = 1.0                 # grid25: distance between neighbouring centres

[generator]
n_particles = 128             # N free particles, masses 1/N
init = "blob"                 # "blob": N(0, scale^2 I) at the centre; "gaussian": a wide Gaussian
scale = 0.2                   # std of the initial Gaussian (default 0.2 for a blob, the target's
                              # RMS radius for "gaussian")

[discriminator]
kind = "spectral"             # "spectral" (SpectralRKHS: the exact Gaussian kernel on a lattice, to tol),
                              # "rff" (FiniteRank over random Fourier features), "exact" (ExactRKHS,
                              # by its history), "neural" (an MLP critic)
bandwidth = 0.4               # Gaussian kernel bandwidth sigma (spectral, rff, exact)
tol = 1e-10                   # spectral: kernel accuracy of the lattice
box = 0.0                     # spectral: the particles' region [-box, box]^2 (0: the data and the
                              # initial particles with their own extent as room on each side)
n_features = 256              # rff: number of random Fourier features D
history_tol = 1e-8            # exact: weight below which the history may be truncated
width = 32                    # neural: hidden width
depth = 2                     # neural: hidden layers

[game]
payoff = "kernel_ipm"         # "kernel_ipm", "logistic", "non_saturating", "wgan_gp", "wgan_clip"
reg = 0.5                     # ridge lambda >= 0 (> 0 when kappa = inf)
velocity = "wasserstein"      # "wasserstein" (dx/dt = grad f) or "mass_weighted" (m_j grad f)
gradient_penalty = 1.0        # wgan_gp: penalty weight g
clip = 0.1                    # wgan_clip: parameter box [-c, c]

[dynamics]
compare = ["flow", "gda"]     # which dynamics to run for every setting
kappa = 10.0                  # time-scale ratio, > 0 or "inf" (or TOML's inf): the best response
tau = 0.05                    # GDA: lr_g = tau, lr_d = kappa * tau; t = k * tau
order = "alternating_d_first" # GDA step order ("simultaneous", "alternating_g_first")
n_critic = 1                  # GDA: D-steps per G-step; the flow then uses kappa_flow = n_critic * kappa
t1 = 20.0                     # T in generator time, the same for flow and GDA (T / tau GDA steps)
n_saves = 41                  # saved times in [0, T]; (n_saves - 1) must divide T / tau
flow_rtol = 1e-5              # adaptive flow (Tsit5 + PID)
flow_atol = 1e-8
flow_dt0 = 0.0                # initial flow step (0: let diffrax choose; exact kernel: step bound)
max_steps = 100000
blowup = 1000.0               # a run with max |x| above this ends as BLEW_UP
checkpoint_every = 0.0        # > 0: run in segments of this much generator time, saving the state
                              # after each (a killed run resumes from its last segment); 0: one piece

[sweep]                       # none, ONE or TWO axes (first: rows, second: columns), each a list;
                              # no [sweep]: the base values are the only setting
kappa = [0.1, 1, 10, "inf"]   # axes: kappa, n_critic, tau, payoff, bandwidth, discriminator
                              # (discriminator values: "spectral", "exact", "rff", "rff:D" with D
                              # features, "neural": the critics side by side)

[metrics]
every = 4                     # W2 / Sinkhorn / MMD at every `every`-th save (and the last)
distances = ["w2", "sinkhorn", "mmd"]
sinkhorn_epsilon = 0.05       # entropic regularization (squared-distance units)
mmd_bandwidth = 0.0           # MMD kernel bandwidth (0: the mode spacing)
radius_stds = 3.0             # a particle is "on" a mode within radius_stds * std of its centre
min_fraction = 0.05           # a mode is covered with at least this fraction of the particles
hop_persistence = 3           # saves a mode must persist to count (mode hopping)
prdc_k = 5                    # nearest neighbour of precision / recall / density / coverage

[outputs]
figures = true                # write the PNG figures
animation = true              # write the flow-vs-GDA GIF
trajectory_every = 1          # positions saved in arrays.npz every `trajectory_every` saves
panel_settings = []           # settings drawn as field panels, e.g. [{kappa = 0.1}, {kappa = "inf"}]
                              # (default: the first and the last setting)
panel_times = []              # times of the panels (default: 0, T/10, T/4, T)
animation_setting = {}        # the setting animated (default: the middle one)
animation_frames = 101        # most frames of the GIF, thinned evenly from the saves (101: every save up to 101)

[quick]                       # overrides applied by --quick, same tables and keys
seeds = 2
[quick.generator]
n_particles = 32
```

`load_study(path, quick=...)` reads, merges the quick overrides, fills the defaults, validates
everything (collecting every problem into one `ConfigError` that names each key path) and
returns a `StudyConfig`.
"""

from __future__ import annotations

import dataclasses


class ConfigError(ValueError):
    """A study configuration is invalid; the message lists every problem with its key path."""

    def __init__(self, problems, source: str | None = None):
        self.problems = list(problems)
        where = f" in {source}" if source else ""
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"invalid study configuration{where}:\n{lines}")


REQUIRED = object()


@dataclasses.dataclass(frozen=True)
class Field:
    """One key of the schema: its `kind` (see `_check_value`), default, range and choices."""

    kind: str
    default: object
    minimum: float | None = None
    strict: bool = False  # minimum excluded
    choices: tuple = ()
    maximum: float | None = None


PAYOFFS = ("kernel_ipm", "logistic", "non_saturating", "wgan_gp", "wgan_clip")
DISCRIMINATORS = ("spectral", "rff", "exact", "neural")
DYNAMICS = ("flow", "gda")
ORDERS = ("simultaneous", "alternating_d_first", "alternating_g_first")
DISTANCES = ("w2", "sinkhorn", "mmd")

SCHEMA: dict = {
    "name": Field("folder_name", None),
    "description": Field("str", ""),
    "seeds": Field("seeds", 5),
    "precision": Field("str", "float64", choices=("float64", "float32")),
    "target": {
        "name": Field("str", "ring8", choices=("ring8", "grid25")),
        "n_data": Field("int", 256, minimum=1),
        "std": Field("float", 0.02, minimum=0, strict=True),
        "radius": Field("float", 2.0, minimum=0, strict=True),
        "spacing": Field("float", 1.0, minimum=0, strict=True),
    },
    "generator": {
        "n_particles": Field("int", 128, minimum=2),
        "init": Field("str", "blob", choices=("blob", "gaussian")),
        "scale": Field("float", 0.0, minimum=0),
    },
    "discriminator": {
        "kind": Field("str", "spectral", choices=DISCRIMINATORS),
        "bandwidth": Field("float", 0.4, minimum=0, strict=True),
        "tol": Field("float", 1e-10, minimum=0, strict=True, maximum=0.1),
        "box": Field("float", 0.0, minimum=0),
        "n_features": Field("int", 256, minimum=1),
        "history_tol": Field("float", 1e-8, minimum=0, strict=True, maximum=1),
        "width": Field("int", 32, minimum=1),
        "depth": Field("int", 2, minimum=1),
    },
    "game": {
        "payoff": Field("str", "kernel_ipm", choices=PAYOFFS),
        "reg": Field("float", 0.5, minimum=0),
        "velocity": Field("str", "wasserstein", choices=("wasserstein", "mass_weighted")),
        "gradient_penalty": Field("float", 1.0, minimum=0, strict=True),
        "clip": Field("float", 0.1, minimum=0, strict=True),
    },
    "dynamics": {
        "compare": Field("dynamics", ["flow", "gda"]),
        "kappa": Field("kappa", 10.0),
        "tau": Field("float", 0.05, minimum=0, strict=True),
        "order": Field("str", "alternating_d_first", choices=ORDERS),
        "n_critic": Field("int", 1, minimum=1),
        "t1": Field("float", 20.0, minimum=0, strict=True),
        "n_saves": Field("int", 41, minimum=2),
        "flow_rtol": Field("float", 1e-5, minimum=0, strict=True),
        "flow_atol": Field("float", 1e-8, minimum=0, strict=True),
        "flow_dt0": Field("float", 0.0, minimum=0),
        "max_steps": Field("int", 100_000, minimum=1),
        "blowup": Field("float", 1000.0, minimum=0, strict=True),
        "checkpoint_every": Field("float", 0.0, minimum=0),
    },
    "sweep": None,  # checked by `_check_sweep`
    "metrics": {
        "every": Field("int", 4, minimum=1),
        "distances": Field("distances", ["w2", "sinkhorn", "mmd"]),
        "sinkhorn_epsilon": Field("float", 0.05, minimum=0, strict=True),
        "mmd_bandwidth": Field("float", 0.0, minimum=0),
        "radius_stds": Field("float", 3.0, minimum=0, strict=True),
        "min_fraction": Field("float", 0.05, minimum=0, maximum=1),
        "hop_persistence": Field("int", 3, minimum=1),
        "prdc_k": Field("int", 5, minimum=1),
    },
    "outputs": {
        "figures": Field("bool", True),
        "animation": Field("bool", True),
        "trajectory_every": Field("int", 1, minimum=1),
        "panel_settings": Field("settings", []),
        "panel_times": Field("floats", []),
        "animation_setting": Field("setting", {}),
        "animation_frames": Field("int", 101, minimum=2),
    },
}

#: Former keys, refused with the key that replaced them (the API's names: `solve(t1=, max_steps=)`).
RENAMED_KEYS = {"dynamics.horizon": "dynamics.t1", "dynamics.flow_max_steps": "dynamics.max_steps"}

#: The swept axes, the kind of their values and the key each one overrides.
AXES = {
    "kappa": ("kappa", ("dynamics", "kappa")),
    "n_critic": ("int>=1", ("dynamics", "n_critic")),
    "tau": ("float>0", ("dynamics", "tau")),
    "payoff": ("payoff", ("game", "payoff")),
    "bandwidth": ("float>0", ("discriminator", "bandwidth")),
    "discriminator": ("discriminator", ("discriminator", "kind")),
}

#: What `--quick` does before the config's own `[quick]` table: fewer seeds, particles, data,
#: features, saves and a quarter of the horizon (a config whose taus do not divide the quick
#: horizon sets `[quick.dynamics] t1` itself).
QUICK_DEFAULTS: dict = {
    "seeds": 2,
    "generator": {"n_particles": 32},
    "target": {"n_data": 64},
    "discriminator": {"n_features": 64, "width": 16},
    "dynamics": {"n_saves": 11},
    "metrics": {"every": 2},
}

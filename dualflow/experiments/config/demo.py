r"""The demo's configuration: `DemoConfig`, and the two shipped ones, `FULL` and `QUICK`.

**Parameters** (`FULL`; `QUICK` is a smaller, shorter copy for tests), chosen by trial runs
with GDA on this configuration. The ring has radius 2 and mode std 0.02 (neighbouring modes
1.53 apart). Bandwidth 0.4 resolves single modes while still reaching across the gap between
them: with 1.0 the particles settle on a blurred ring of radius about 2.07 and never enter a
mode (0 of 8 covered at $t = 20$); with 0.3 the ring is seen faintly from the centre and the
blob spreads more slowly (median radius 1.3 instead of 1.8 at $t = 4$). Ridge
$\lambda = 0.5$ with $\kappa = 10$: the discriminator relaxes on the time
$1/(\kappa\lambda) = 0.2$, near its fast regime. $\eta_g = 0.1$ keeps GDA stable (its D-step
needs $\eta_d\lambda < 2$) yet far enough from the flow that the first-order gap shows
(particles up to about 0.2 apart at $t \approx 3.5$). The flow's own error (`flow_rtol` = 1e-8)
is far below that gap. Horizon $t_1 = 20$: the blob reaches the ring by $t \approx 5$, all 8
modes are covered from $t \approx 7$, and about a fifth of the particles are still stranded
between modes at the end, where the kernel's pull is weak (80% within 3 std of a centre).
"""

from __future__ import annotations

import dataclasses
import math


@dataclasses.dataclass(frozen=True)
class DemoConfig:
    """Parameters of the demo (see the module docstring for why these values).

    **Fields:** `n_particles` ($N$), `n_data` ($M$), `ring_radius`, `ring_std` (target);
    `blob_std` (std of the initial Gaussian blob at the origin); `bandwidth` ($\\sigma$ of the
    Gaussian kernel), `reg` ($\\lambda$), `lr_g`, `lr_d` (GDA rates; $\\kappa = \\eta_d/\\eta_g$);
    `t1` (the end time in generator time); `save_dt` (time between saves, a multiple of
    `lr_g`); `tol` (the spectral critic's kernel accuracy); `flow_rtol` (relative tolerance of
    the adaptive flow; its absolute tolerance is a hundredth of it); `plot_times` (times drawn
    in `demo.png`).
    """

    n_particles: int = 128
    n_data: int = 256
    ring_radius: float = 2.0
    ring_std: float = 0.02
    blob_std: float = 0.2
    bandwidth: float = 0.4
    reg: float = 0.5
    lr_g: float = 0.1
    lr_d: float = 1.0
    t1: float = 20.0
    save_dt: float = 0.5
    tol: float = 1e-10
    flow_rtol: float = 1e-8
    plot_times: tuple = (0.0, 2.5, 5.0, 10.0, 20.0)

    @property
    def kappa(self) -> float:
        """$\\kappa = \\eta_d / \\eta_g$."""
        return self.lr_d / self.lr_g

    @property
    def n_steps(self) -> int:
        """GDA steps $t_1 / \\eta_g$."""
        return _ratio("t1", self.t1, "lr_g", self.lr_g)

    @property
    def save_every(self) -> int:
        """GDA steps between saves."""
        return _ratio("save_dt", self.save_dt, "lr_g", self.lr_g)

    @property
    def n_saves(self) -> int:
        """Saved times, $t = 0$ included."""
        return _ratio("t1", self.t1, "save_dt", self.save_dt) + 1


FULL = DemoConfig()
QUICK = DemoConfig(n_particles=48, n_data=128, t1=10.0, plot_times=(0.0, 1.5, 3.0, 5.0, 10.0))


def _ratio(name_a, a, name_b, b) -> int:
    k = round(a / b)
    if k < 1 or not math.isclose(k * b, a, rel_tol=1e-9):
        raise ValueError(f"`{name_a}` ({a}) must be a positive integer multiple of `{name_b}` ({b}).")
    return k

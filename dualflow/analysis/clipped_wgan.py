r"""Closed forms of the clipped-WGAN toy (after Delgadino, Suassuna & Cabrera, JMLR 2025; [docs/science.md §4][science-exact-references]).

**The toy.** The generator is one Dirac $\delta_\theta$, $\theta \in \mathbb R$ (mass 1), the data
$\delta_0$, and the critic a *mean-field linear critic* with $K$ parameters,
$f(z) = \frac1K\sum_{k=1}^K \psi_k\, z$ (features $\phi(z) = (z, \dots, z)/K$, `kernels.copies.Copies`),
played with the WGAN payoff, clipping $c$ and no ridge:
$L = f(0) - f(\theta) = -\bar\psi\,\theta$, $\bar\psi = \frac1K\sum_k\psi_k$.
The generator descends $L$ ($\dot\theta = -\partial_\theta L = \bar\psi$, the library's
mass-weighted velocity $m\,\nabla f(\theta)$ with $m = 1$). The critic ascends $L$ with
$\partial L/\partial\psi_k = -\theta/K$; in the mean-field scaling each parameter moves with
$K$ times its partial gradient (the Wasserstein gradient of the parameters' empirical
measure), i.e. the time-scale ratio is $\kappa = K$ (`DualFlow(kappa=K)`, or
`GDA(lr_g=tau, lr_d=K*tau)`). The flow is then

$$\dot\theta = \bar\psi, \qquad \dot\psi_k = \Pi_k(-\theta),$$

where $\Pi_k$ zeroes the velocity of a parameter sitting on the box boundary and pushing
outward ($\psi_k = c$, $\theta < 0$; or $\psi_k = -c$, $\theta > 0$).

**Closed forms** (derived here; every one is checked against simulation of the library's
GDA and flow in `tests/test_clipped_wgan.py`):

1. *No clipping.* Every $\psi_k$ gets the same velocity, so the differences $\psi_k - \psi_l$
   are conserved and $(\theta, \bar\psi)$ is a rotation: $\theta = R\sin(t + \varphi)$,
   $\bar\psi = R\cos(t+\varphi)$, $R^2 = \theta^2 + \bar\psi^2$ conserved, period $2\pi$.
2. *Clipped phases.* With $n$ of the $K$ parameters free (the others held on one bound),
   $\ddot\theta = -(n/K)\,\theta$: a rotation at frequency $\omega = \sqrt{n/K}$ conserving
   $(n/K)\theta^2 + \bar\psi^2$; the free parameters all move by
   $D(\tau) = -\int\theta = \frac A\omega\big[\cos(\omega\tau+\beta) - \cos\beta\big]$ with
   $\theta = A\sin(\omega\tau+\beta)$. Parameters on the upper bound are held while
   $\theta<0$ and all released together when $\theta$ turns positive (symmetrically for the
   lower bound). The order of the $\psi_k$ never changes, and the spread
   $s = \max_k\psi_k - \min_k\psi_k$ decreases, at rate $|\theta|$, only while the extreme
   group is held: that is the aggregation mechanism.
3. *Aggregation in finite time.* If the lowest parameter reaches the bound before $\theta$
   returns to $0$, all $K$ coincide at time $t_a$ (the event-driven solution below gives it
   exactly) and coincide forever after (same state, same velocity). Then $n = 0$:
   $\dot\theta = \pm c$, so $\theta$ reaches $0$ at the *entry time*
   $t_e = t_a + |\theta(t_a)|/c$, at the point $(0, \pm c)$.
4. *The limit cycle.* From $(\theta, \bar\psi) = (0, \pm c)$ with all parameters equal the
   orbit is the circle $\theta^2 + \bar\psi^2 = c^2$: it lies inside the box and touches it
   tangentially at $(0, \pm c)$ (where $\dot\psi = -\theta = 0$), radius $c$, period $2\pi$.
5. *One critic (or all $\psi_k$ equal), start radius $R_0 > c$.* With
   $\varphi = \operatorname{atan2}(\theta_0, \bar\psi_0)$ and $\alpha = \arccos(c/R_0)$ the bound is hit
   at $t_\text{hit} = \big((\pi - \alpha - \varphi) \bmod \pi\big)$ with $|\theta| = \sqrt{R_0^2 - c^2}$,
   and the cycle is entered at $t_e = t_\text{hit} + \sqrt{R_0^2 - c^2}/c$ (`single_critic_entry`).
6. *Not every start aggregates.* If $\theta$ returns to $0$ first, the held group is released
   with spread $s_1 > 0$ and mean $\bar\psi_1$; the free rotation that follows clips again only
   if $|\bar\psi_1| > c - s_1/2$. For $K = 2$ the mean is exactly the midpoint, so the lower
   parameter then touches $-c$ tangentially and the orbit stays on a periodic cycle of period
   $2\pi$, radius $|\bar\psi_1| < c$ and frozen spread. Every orbit ends, after finitely many
   events (observed for every start we solved, not proved here; `clipped_orbit` raises
   otherwise), on a periodic orbit of period $2\pi$ (Delgadino et al.'s "convergence to
   time-periodic solutions"); it is the circle of radius $c$ exactly when all parameters are
   once held together on a bound (aggregation by clipping), and a circle of radius $< c$
   otherwise (parameters that start equal inside the circle $R_0 \le c$ keep their radius).

`clipped_orbit` integrates the toy *exactly*, event by event (closed-form segments between
clip and release events; plain NumPy, no time stepping): it is the oracle the simulations
are compared with.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..validation import check_int, check_positive

#: Period of the limit cycle (and of every clip-free rotation) in the toy's time units.
CYCLE_PERIOD = 2 * math.pi


def cycle_radius(clip):
    r"""Radius $c$ of the limit cycle $\theta^2 + \bar\psi^2 = c^2$ reached after aggregation."""
    check_positive("clip", clip)
    return float(clip)


def limit_cycle(clip, num: int = 200):
    r"""Points $(\theta, \bar\psi) = (c\sin s, c\cos s)$, $s \in [0, 2\pi]$, of the limit cycle, shape `(num, 2)`."""
    check_positive("clip", clip)
    num = check_int("num", num, minimum=2)
    s = np.linspace(0.0, 2 * np.pi, num)
    return np.stack([clip * np.sin(s), clip * np.cos(s)], axis=1)


def single_critic_entry(theta0, psi0, clip):
    r"""Clip time and cycle-entry time of the toy with all $\psi_k$ equal to `psi0` (item 5).

    **Arguments:** `theta0`, `psi0` with $|\psi_0| \le c$, `clip` $= c > 0$.

    **Returns:** `(t_hit, t_entry)`: the time the parameter reaches the bound and the time
    the orbit enters the circle of radius $c$; `(inf, inf)` when $R_0 = \sqrt{\theta_0^2+\psi_0^2} \le c$
    (the start circle never leaves the box: no clipping, the orbit keeps its radius $R_0$).
    """
    check_positive("clip", clip)
    theta0, psi0 = float(theta0), float(psi0)
    if abs(psi0) > clip:
        raise ValueError(f"`psi0` must lie in the box [-{clip}, {clip}]; received {psi0!r}.")
    r0 = math.hypot(theta0, psi0)
    if r0 <= clip:
        return math.inf, math.inf
    alpha = math.acos(clip / r0)
    t_hit = (math.pi - alpha - math.atan2(theta0, psi0)) % math.pi
    if math.isclose(t_hit, math.pi, rel_tol=0.0, abs_tol=1e-14):  # already on the bound, pushing out
        t_hit = 0.0
    return t_hit, t_hit + math.sqrt(r0**2 - clip**2) / clip


@dataclasses.dataclass(frozen=True)
class ClippedOrbit:
    r"""The exact solution of the toy from one start (see `clipped_orbit`).

    **Fields:**

    - `clip`, `n_critics`: $c$ and $K$.
    - `event_times`, `event_kinds`: every clip (`"clip+"`, `"clip-"`: a group of parameters
      reaches $\pm c$) and release (`"release"`: $\theta$ changes sign and frees the held group)
      event, in time order.
    - `aggregation_time`: the first time all $\psi_k$ coincide ($0$ if they start equal,
      `inf` if they never do).
    - `entry_time`: the time from which the orbit is periodic (no more clip or release
      events): $t_a + |\theta(t_a)|/c$ after aggregation, the last release otherwise; $0$ if the
      start never clips.
    - `final_radius`: $\sqrt{\theta^2 + \bar\psi^2}$ on the final periodic orbit ($c$ exactly
      when the parameters aggregate).
    - `final_spread`: $\max_k\psi_k - \min_k\psi_k$ on the final periodic orbit.
    - `period`: $2\pi$.
    """

    clip: float
    n_critics: int
    event_times: np.ndarray
    event_kinds: tuple
    aggregation_time: float
    entry_time: float
    final_radius: float
    final_spread: float
    period: float
    _segments: tuple = dataclasses.field(repr=False)

    def state_at(self, ts):
        r"""`(theta, psi)` at times `ts` `(S,)`: shapes `(S,)` and `(S, K)`."""
        ts = np.atleast_1d(np.asarray(ts, dtype=float))
        if np.any(ts < 0):
            raise ValueError("`ts` must be non-negative times.")
        starts = np.array([seg[0] for seg in self._segments])
        theta = np.empty(ts.shape)
        psi = np.empty(ts.shape + (self.n_critics,))
        for i, t in enumerate(ts):
            t0, th, ps, held = self._segments[np.searchsorted(starts, t, side="right") - 1]
            theta[i], psi[i] = _advance(th, ps, held, t - t0, self.clip)
        return theta, psi


def _rotation(theta, mean, n, k):
    r"""$(A, \beta, \omega)$ with $\theta(\tau) = A\sin(\omega\tau + \beta)$ for $n \ge 1$ free parameters."""
    omega = math.sqrt(n / k)
    return math.hypot(theta, mean / omega), math.atan2(theta, mean / omega), omega


def _advance(theta, psi, held, tau, clip):
    """The state `tau` after `(theta, psi)` with the parameters `held` fixed on their bound."""
    k, n = psi.size, int(np.sum(~held))
    mean = float(np.mean(psi))
    if n == 0:
        return theta + mean * tau, psi.copy()
    amp, beta, omega = _rotation(theta, mean, n, k)
    displacement = amp / omega * (math.cos(omega * tau + beta) - math.cos(beta))
    new = psi.copy()
    new[~held] = np.clip(psi[~held] + displacement, -clip, clip)
    return amp * math.sin(omega * tau + beta), new


def _clip_free_forever(theta, psi, clip, tol):
    """True when every parameter is free and the rigid rotation never reaches the box again."""
    mean = float(np.mean(psi))
    radius = math.hypot(theta, mean)
    return radius + float(np.max(psi)) - mean <= clip + tol and radius - float(np.min(psi)) + mean <= clip + tol


def clipped_orbit(theta0, psi0, clip, *, max_events: int = 10_000, tol: float = 1e-12) -> ClippedOrbit:
    r"""Solve the clipped-WGAN toy exactly from $(\theta_0, \psi_0)$, event by event.

    Between events the state follows the closed-form rotation of item 2 of the module
    docstring (frequency $\sqrt{n/K}$, $n$ free parameters); events are the times a free
    group reaches a bound (solved in closed form from $D(\tau) = \text{gap}$ with an arccosine) and
    the zero crossings of $\theta$ (releases). The run stops once the orbit is periodic: all
    parameters aggregated and released, or all free with a rigid rotation that stays inside
    the box.

    **Arguments:**

    - `theta0`: the generator's start $\theta_0$.
    - `psi0`: the critic's start, `(K,)`, inside the box $[-c, c]$.
    - `clip`: $c > 0$.
    - `max_events`: bound on the number of events (a `RuntimeError` beyond it).
    - `tol`: parameters within `tol` of each other or of a bound count as equal or on it.

    **Returns:** a `ClippedOrbit`.

    **Example:**

    ```python
    orbit = clipped_orbit(-2.0, [0.1, 0.3, 0.8], clip=1.0)
    orbit.aggregation_time, orbit.entry_time, orbit.final_radius   # radius 1.0: the limit cycle
    theta, psi = orbit.state_at(np.linspace(0, 20, 201))
    ```
    """
    check_positive("clip", clip)
    max_events = check_int("max_events", max_events, minimum=1)
    clip = float(clip)
    psi = np.asarray(psi0, dtype=float).reshape(-1).copy()
    if psi.size == 0 or not np.all(np.isfinite(psi)) or not math.isfinite(float(theta0)):
        raise ValueError(
            f"`theta0` and `psi0` must be finite, with at least one parameter; received {theta0!r}, {psi0!r}."
        )
    if np.any(np.abs(psi) > clip + tol):
        raise ValueError(f"`psi0` must lie in the box [-{clip}, {clip}]; received {psi.tolist()}.")
    psi = np.clip(psi, -clip, clip)
    k, theta, t = psi.size, float(theta0), 0.0
    # held at the start: on a bound and pushed outward
    held = ((psi >= clip - tol) & (theta < 0)) | ((psi <= -clip + tol) & (theta > 0))
    segments, times, kinds = [], [], []
    aggregation = 0.0 if np.ptp(psi) <= tol else math.inf
    for _ in range(max_events):
        segments.append((t, theta, psi.copy(), held.copy()))
        if not held.any() and _clip_free_forever(theta, psi, clip, tol):
            break
        n, mean = int(np.sum(~held)), float(np.mean(psi))
        if n == 0:  # aggregated on a bound: theta moves linearly back to 0, then release
            tau, kind = abs(theta) / clip, "release"
        else:
            amp, beta, omega = _rotation(theta, mean, n, k)
            if amp == 0.0:  # theta = mean = 0 with every parameter free: a rest point
                break
            upward = theta < 0 or (theta == 0 and mean < 0)
            free = psi[~held]
            if upward:  # phase in [pi, 2 pi): theta < 0, free parameters rise
                beta = beta % (2 * math.pi)
                tau_turn = (2 * math.pi - beta) / omega
                level = math.cos(beta) + omega * (clip - free.max()) / amp
                tau_hit = (2 * math.pi - math.acos(level) - beta) / omega if level <= 1 else math.inf
            else:  # phase in [0, pi): theta > 0, free parameters fall
                beta = beta % (2 * math.pi)
                tau_turn = (math.pi - beta) / omega
                level = math.cos(beta) - omega * (free.min() + clip) / amp
                tau_hit = (math.acos(level) - beta) / omega if level >= -1 else math.inf
            if tau_hit < tau_turn * (1 - 1e-12):
                tau, kind = max(tau_hit, 0.0), "clip+" if upward else "clip-"
            else:
                tau, kind = tau_turn, "release" if held.any() else "turn"
        if kind in ("clip+", "clip-"):  # the extreme free group (ties included) reaches the bound
            extreme = (psi >= free.max() - tol) if kind == "clip+" else (psi <= free.min() + tol)
            newly = ~held & extreme
        theta, psi = _advance(theta, psi, held, tau, clip)
        t += tau
        if kind == "release" or kind == "turn":
            theta, held = 0.0, np.zeros(k, bool)
        else:
            psi[newly], held = (clip if kind == "clip+" else -clip), held | newly
            if held.all() and math.isinf(aggregation):
                aggregation = t
        if kind != "turn":
            times.append(t)
            kinds.append(kind)
    else:
        raise RuntimeError(f"the toy did not become periodic within {max_events} events (t = {t:.6g}).")
    _, theta_end, psi_end, _ = segments[-1]
    mean = float(np.mean(psi_end))
    return ClippedOrbit(
        clip=clip,
        n_critics=k,
        event_times=np.asarray(times),
        event_kinds=tuple(kinds),
        aggregation_time=aggregation,
        entry_time=times[-1] if times else 0.0,
        final_radius=math.hypot(theta_end, mean),
        final_spread=float(np.ptp(psi_end)),
        period=CYCLE_PERIOD,
        _segments=tuple(segments),
    )

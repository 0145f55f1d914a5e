r"""The Sinkhorn-potentials discriminator: the generator's Sinkhorn-divergence flow ([docs/science.md §2][science-kernel-game]).

With masses normalized to probabilities $\hat a = m/|\mu|$, $\hat b = p/|\nu|$ and the cost
$c(x, y) = |x - y|^2$ (no factor $\tfrac12$), the debiased Sinkhorn divergence is

$$S_\varepsilon(\mu, \nu) = \mathrm{OT}_\varepsilon(\mu, \nu) - \tfrac12\mathrm{OT}_\varepsilon(\mu, \mu)
- \tfrac12\mathrm{OT}_\varepsilon(\nu, \nu),$$

with $\mathrm{OT}_\varepsilon$ the entropic transport cost regularized by
$\varepsilon\,\mathrm{KL}(P\,\|\,\hat a\otimes\hat b)$ (ott-jax's convention, the same as
`dualflow.metrics.sinkhorn_divergence`). Its first variation in $\mu$ is
$f_{\mu\nu} - f_{\mu\mu}$ (Feydy et al. 2019), where each potential is the entropic
$c$-transform of the other side's optimal dual vector, defined at every point $z$:

$$f_{\mu\nu}(z) = -\varepsilon \log \sum_k \hat b_k\, e^{(g_k - |z - y_k|^2)/\varepsilon},\qquad
\nabla f_{\mu\nu}(z) = 2\,\big(z - T_{\mu\nu}(z)\big),$$

$g$ the optimal dual vector on the data (optimal plan $P_{ik} = \hat a_i\hat b_k
e^{(f_i + g_k - |x_i - y_k|^2)/\varepsilon}$; ott's vectors absorb the $\varepsilon\log\hat b_k$),
$T_{\mu\nu}(z) = \sum_k \pi_k(z)\, y_k$ the barycentric projection (softmax weights
$\pi_k(z) \propto \hat b_k e^{(g_k - |z-y_k|^2)/\varepsilon}$; at a particle, $T_{\mu\nu}(x_i) =
\sum_k P_{ik} y_k / \hat a_i$); $f_{\mu\mu}$ likewise with the symmetric problem's potential
on the particles. The player's witness is minus the first
variation, $f = (f_{\mu\mu} - f_{\mu\nu})/|\mu|$, so under the kernel IPM payoff the
particles descend $S_\varepsilon$:

- mass-weighted velocity $m_j \nabla f(x_j) = -\partial S_\varepsilon / \partial x_j$ exactly
  (the Euclidean gradient of $X \mapsto S_\varepsilon(\sum_j \hat a_j\delta_{x_j}, \nu)$, at any
  total mass);
- Wasserstein velocity $\nabla f(x_j) = -(\partial S_\varepsilon/\partial x_j)/m_j$: for probability
  masses ($|\mu| = 1$), $-\nabla \frac{\delta S_\varepsilon}{\delta \mu}(x_j)$, the particle form of
  the Wasserstein gradient flow of $S_\varepsilon(\cdot, \nu)$.

The gradients come from the dual potentials by the envelope theorem (Danskin), never by
differentiating through the Sinkhorn iterations: $\nabla f(z) = 2\,(T_{\mu\nu}(z) - T_{\mu\mu}(z))/|\mu|$.
"""

from __future__ import annotations

import functools

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from .._ott import adaptive_momentum, ott, ott_promotion, symmetric_momentum
from ..validation import int_field, positive_leaf
from .optimal import AbstractOptimalDiscriminator


def _logits(point, columns, potential, epsilon):
    r"""$(g_k - |z - c_k|^2)/\varepsilon$ for one point $z$ against the centres stored as `columns`
    `(d, M)`. The squared distance is summed one coordinate at a time: on CPU, XLA runs this
    about 4x faster than a reduction over the short trailing axis (2-D, $10^4\times10^4$
    pairs), and it avoids the cancellation of $|z|^2 + |c|^2 - 2 z\cdot c$."""
    sq_dist = (point[0] - columns[0]) ** 2
    for k in range(1, columns.shape[0]):
        sq_dist = sq_dist + (point[k] - columns[k]) ** 2
    return (potential - sq_dist) / epsilon


def _map_rows(fn, rows, batch_size):
    """`fn` over the rows of `rows`, `batch_size` at a time (all at once when `None`)."""
    if batch_size is None:
        return jax.vmap(fn)(rows)
    return jax.lax.map(fn, rows, batch_size=batch_size)


@functools.cache
def _blocked_point_cloud():
    """`_BlockedPointCloud`, defined on first use (its base class is ott's, imported lazily)."""

    @jax.tree_util.register_pytree_node_class
    class _BlockedPointCloud(ott().pointcloud.PointCloud):
        """ott's online `PointCloud` (squared Euclidean cost) with its log-sum-exp kernel computed
        by `_logits` in blocks of `batch_size` rows: ott runs the Sinkhorn iterations unchanged.

        Why not ott's own online kernel: in ott-jax 0.6.0 it calls
        `jax.interpreters.batching.is_vmappable`, removed from JAX's public module in 0.9 (ott-jax
        issue #700, fixed upstream after the release), and once patched it ran about 4x slower than
        this one inside the Sinkhorn loop (2-D, $N = M = 10^4$, 2-core CPU; see
        `benchmarks/sinkhorn_step.py`). Only the kernel ott's log-domain solver uses is provided."""

        def apply_lse_kernel(self, f, g, eps, vec=None, axis=0):
            r"""ott's contract, for finite potentials: `axis=1` gives
            $\varepsilon\log\sum_j e^{(g_j - C_{ij})/\varepsilon}$ for every row $i$, `axis=0`
            $\varepsilon\log\sum_i e^{(f_i - C_{ij})/\varepsilon}$ for every column $j$; signs are $+1$."""
            if vec is not None:
                raise NotImplementedError(
                    "SinkhornPotentials does not differentiate through its Sinkhorn solves "
                    "(its gradients come from the dual potentials)."
                )
            points, centres, potential = (self.x, self.y, g) if axis == 1 else (self.y, self.x, f)
            columns = centres.T

            def one(point):
                logits = _logits(point, columns, potential, eps)
                top = jnp.max(logits)
                return eps * (top + jnp.log(jnp.sum(jnp.exp(logits - top))))

            lse = _map_rows(one, points, self.batch_size)
            return lse, jnp.ones_like(lse)

    return _BlockedPointCloud


class SinkhornDuals(eqx.Module):
    r"""The two Sinkhorn solves behind one evaluation of `SinkhornPotentials`.

    **Fields:**

    - `data_vector`: `(M,)`, the optimal dual vector $g_{\mu\nu}$ on the data (ott's
      convention: the plan is $e^{(f_i + g_k - |x_i - y_k|^2)/\varepsilon}$).
    - `self_vector`: `(N,)`, the dual vector of the symmetric problem $\mu \to \mu$ on the particles.
    - `converged`: `(2,)` bool, whether each solve ($\mu\nu$, $\mu\mu$) reached `threshold`.
    - `iterations`: `(2,)` int, Sinkhorn iterations each solve took.
    """

    data_vector: jax.Array
    self_vector: jax.Array
    converged: jax.Array
    iterations: jax.Array


def _solve(x, a, y, b, epsilon, threshold, max_iterations: int, batch_size, symmetric: bool):
    r"""ott's Sinkhorn from `(x, a)` to `(y, b)`: the dual vector on `y`, whether it reached
    `threshold` on the $\ell^1$ marginal error, and the iterations taken."""
    if symmetric:
        momentum, parallel = symmetric_momentum(x.dtype), True
    else:
        momentum, parallel = adaptive_momentum(x.dtype), False
    with ott_promotion():
        cloud = ott().pointcloud.PointCloud if batch_size is None else _blocked_point_cloud()
        geom = cloud(x, y, cost_fn=ott().costs.SqEuclidean(), epsilon=epsilon, batch_size=batch_size)
        solver = ott().sinkhorn.Sinkhorn(
            threshold=threshold, max_iterations=max_iterations, momentum=momentum, parallel_dual_updates=parallel
        )
        out = solver(ott().linear_problem.LinearProblem(geom, a=a, b=b))
        return out.g.astype(x.dtype), jnp.asarray(out.converged), jnp.asarray(out.n_iters, jnp.int32)


def _c_transform(z, centres, potential, epsilon, batch_size):
    r"""$\big(-\varepsilon\log\sum_k e^{(g_k - |z - c_k|^2)/\varepsilon},\ T(z)\big)$ at every row of `z`,
    with $T(z)$ the softmax-weighted mean of the centres; `batch_size` rows at a time
    (memory `batch_size` $\times$ `len(centres)`), or all at once when `None`."""
    columns = centres.T

    def one(point):
        logits = _logits(point, columns, potential, epsilon)
        top = jnp.max(logits)
        weights = jnp.exp(logits - top)
        total = jnp.sum(weights)
        return -epsilon * (top + jnp.log(total)), (columns @ weights) / total

    return _map_rows(one, z, batch_size)


class SinkhornPotentials(AbstractOptimalDiscriminator):
    r"""Optimal-transport discriminator: minus the first variation of the debiased Sinkhorn
    divergence $S_\varepsilon(\mu, \nu)$ (see the module docstring),

    $$f(z) = \frac{f_{\mu\mu}(z) - f_{\mu\nu}(z)}{|\mu|},\qquad
    \nabla f(z) = \frac{2\,\big(T_{\mu\nu}(z) - T_{\mu\mu}(z)\big)}{|\mu|},$$

    recomputed from the current particles at every call (two Sinkhorn solves with ott-jax:
    $\mu\to\nu$ and the symmetric $\mu\to\mu$; the $\nu\nu$ term does not depend on $\mu$ and
    is never solved). With the default `KernelIPM` payoff the generator follows the Sinkhorn
    flow: mass-weighted particles move along $-\partial S_\varepsilon/\partial x_j$. This is the
    optimal-transport analogue of `OptimalWitness` (the MMD flow of $\mathrm{MMD}^2/(2\lambda)$);
    the game's `reg` is not used: the flow descends $S_\varepsilon$ itself, so `reg = 0` is fine.

    Stateless, like `OptimalWitness`: `init`, `ascent_step` and `time_derivative` return `None`
    and the ascent residual is $0$. Use it with `DualFlow` (any `kappa`: nothing evolves on
    the discriminator's side) or `GDA` (`lr_d` unused). With `velocity="wasserstein"` the
    particles follow the Wasserstein gradient flow of $S_\varepsilon$ in its own time ($t = O(1)$
    to converge); the default mass-weighted convention runs $N$ times slower for masses $1/N$.

    If either Sinkhorn solve has not reached `threshold` after `max_iterations`, the witness
    is `nan` (no exception, so it is safe inside `jit`; `solve` then ends with
    `Result.NONFINITE`). Raise `max_iterations`, `threshold` or `epsilon` then.

    **Arguments:**

    - `epsilon`: entropic regularization $\varepsilon > 0$, absolute, in units of the squared
      distance (array leaf: sweeping it does not recompile).
    - `threshold`: tolerance on the $\ell^1$ marginal error of each Sinkhorn solve (array
      leaf; default $10^{-3}$, as ott's and `metrics.sinkhorn_divergence`'s). Much tighter
      values can cost many more iterations once the particles sit in clusters whose masses
      differ slightly from the data's: Sinkhorn then moves the last bit of mass between
      far-apart clusters at a rate like $e^{-c/\varepsilon}$ (on 100 particles near the 8-ring at
      $\varepsilon = 0.05$: 10 iterations for $10^{-4}$, 45,000 for $10^{-5}$).
    - `max_iterations`: iteration cap of each solve (static).
    - `batch_size`: `None` (static) for ott's dense geometry (the $N\times M$ and $N\times N$
      cost matrices stored), or an integer: online mode, costs recomputed `batch_size` rows at a
      time at every Sinkhorn iteration and the potentials evaluated in chunks of `batch_size`
      points, so memory is linear in $N + M$ (an ott `PointCloud` with `batch_size` whose
      log-sum-exp kernel is dualflow's own, see `_BlockedPointCloud`). On CPU the online mode
      was also the faster one in our 2-D measurements (e.g. `batch_size=256`).

    **Example:**

    ```python
    game = KernelGame(ring8(key, 1000), SinkhornPotentials(epsilon=0.05), velocity="wasserstein")
    sol = solve(game, Measure(x0), DualFlow(rtol=1e-4, atol=1e-7), t1=5.0)  # the Sinkhorn flow
    ```
    """

    epsilon: ArrayLike = eqx.field(converter=positive_leaf("epsilon"), default=0.05)
    threshold: ArrayLike = eqx.field(converter=positive_leaf("threshold"), default=1e-3)
    max_iterations: int = eqx.field(static=True, default=10_000, converter=int_field("max_iterations", minimum=1))
    batch_size: int | None = eqx.field(
        static=True, default=None, converter=int_field("batch_size", minimum=1, optional=True)
    )

    def potentials(self, game, x, masses) -> SinkhornDuals:
        r"""Solve $\mu \to \nu$ and $\mu \to \mu$ for the particles `x` with `masses` (normalized):
        the dual vectors and the solver diagnostics, as a `SinkhornDuals`."""
        a = masses / jnp.sum(masses)
        data = game.data
        y = data.points.astype(x.dtype)
        b = data.masses.astype(x.dtype) / jnp.sum(data.masses.astype(x.dtype))
        epsilon, threshold = (jnp.asarray(v, x.dtype) for v in (self.epsilon, self.threshold))
        options = (epsilon, threshold, self.max_iterations, self.batch_size)
        g_cross, ok_cross, it_cross = _solve(x, a, y, b, *options, symmetric=False)
        g_self, ok_self, it_self = _solve(x, a, x, a, *options, symmetric=True)
        return SinkhornDuals(g_cross, g_self, jnp.stack([ok_cross, ok_self]), jnp.stack([it_cross, it_self]))

    def witness(self, game, state, x, masses, z):
        duals = self.potentials(game, x, masses)
        epsilon = self.epsilon.astype(x.dtype)
        f_cross, t_cross = _c_transform(
            z, game.data.points.astype(x.dtype), duals.data_vector, epsilon, self.batch_size
        )
        f_self, t_self = _c_transform(z, x, duals.self_vector, epsilon, self.batch_size)
        total = jnp.sum(masses)
        values = (f_self - f_cross) / total
        grads = 2 * (t_cross - t_self) / total
        converged = jnp.all(duals.converged)
        nan = jnp.asarray(jnp.nan, dtype=x.dtype)
        return jnp.where(converged, values, nan), jnp.where(converged, grads, nan)

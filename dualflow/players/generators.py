r"""Generator players: free particles, or a neural generator $x_j = G_\theta(z_j)$.

A generator has a *state* $g$ (the particle positions, or the network's parameters), the
positions it produces, `points(g)`, shape `(N, d)`, fixed `masses`, and a *pull-back*
that turns a velocity of the particles into a velocity of the state:

- `Particles`: $g = X$, $\dot X = v$ (the pull-back is the identity);
- `NeuralGenerator`: $g = \theta$, $x_j = G_\theta(z_j)$ on fixed latent samples $z_j$, and
  $$\dot\theta = J(\theta)^\top v, \qquad J(\theta) = \partial_\theta\,(G_\theta(z_1), \dots, G_\theta(z_N)),$$
  the pulled-back flow. With the game's `"mass_weighted"` velocity $v_j = -m_j h_{\text{fake}}'(f(x_j))\nabla f(x_j)$
  this is exactly gradient descent of the generator's loss $\sum_j m_j h_{\text{fake}}(f(G_\theta(z_j)))$
  in $\theta$; with `"wasserstein"` it is the same direction scaled by $1/m_j$ per particle
  ($N$ times faster for uniform masses).

The solvers run any generator alike: a GDA G-step is $g \leftarrow g + \eta_g\,J^\top v$, the flow
integrates $\dot g = J^\top v$.
"""

from __future__ import annotations

import abc

import equinox as eqx
import jax
import jax.numpy as jnp

from ..measures.measure import Measure
from ..validation import check_points, masses_for


class AbstractGenerator(eqx.Module):
    """Interface of a generator player (see module docstring)."""

    masses: eqx.AbstractVar[jax.Array]

    @abc.abstractmethod
    def init(self):
        """The initial state $g_0$ (a pytree of arrays)."""

    @abc.abstractmethod
    def points(self, state):
        """Positions $X = (x_j)$, shape `(N, d)`, produced by `state`."""

    @abc.abstractmethod
    def pullback(self, state, velocity):
        """$J(g)^\\top v$: the state velocity (same pytree structure as `state`) whose
        particles move with `velocity`, shape `(N, d)`, to first order."""

    def measure(self, state) -> Measure:
        """The generated measure $\\sum_j m_j \\delta_{x_j}$ at `state`."""
        return Measure(self.points(state), self.masses)

    @property
    def dim(self) -> int:
        return self.points(self.init()).shape[-1]


class Particles(AbstractGenerator):
    r"""Free particles: the state is the positions themselves, $\dot x_j = v_j$.

    **Arguments:** `measure`, the initial generator $\mu_0 = \sum_j m_j\delta_{x_j}$ (a `Measure`).
    """

    points0: jax.Array
    masses: jax.Array

    def __init__(self, measure: Measure):
        if not isinstance(measure, Measure):
            raise ValueError(f"`measure` must be a dualflow Measure; received {type(measure).__name__}.")
        self.points0 = measure.points
        self.masses = measure.masses

    def init(self):
        return self.points0

    def points(self, state):
        return state

    def pullback(self, state, velocity):
        return velocity


class NeuralGenerator(AbstractGenerator):
    r"""A generator network $x_j = G_\theta(z_j)$ on fixed latent samples, moved by the pulled-back flow
    $\dot\theta = J(\theta)^\top v$ (module docstring).

    **Arguments:**

    - `model`: any equinox module mapping one latent vector `(k,)` to a point `(d,)`, e.g.
      `eqx.nn.MLP(k, d, width_size=64, depth=2, activation=jax.nn.tanh, key=key)`. Its
      floating arrays are the trainable state $\theta$; everything else stays fixed.
    - `latents`: `(N, k)` latent samples $z_j$ (draw them from an explicit key).
    - `masses`: `(N,)` positive masses (default uniform $1/N$).

    **Example:**

    ```python
    model = eqx.nn.MLP(2, 2, 32, 2, activation=jax.nn.tanh, key=k1)
    gen = NeuralGenerator(model, jax.random.normal(k2, (256, 2)))
    sol = solve(game, gen, GDA(lr_g=0.05, lr_d=0.5), n_steps=500)
    trained = gen.model(sol.final_generator)   # the network with the trained parameters
    ```
    """

    params0: object
    static: object = eqx.field(static=True)
    latents: jax.Array
    masses: jax.Array

    def __init__(self, model, latents, masses=None):
        if not isinstance(model, eqx.Module):
            raise ValueError(f"`model` must be an equinox Module; received {type(model).__name__}.")
        latents = jnp.asarray(latents)
        check_points("latents", latents)
        if latents.ndim != 2:
            raise ValueError(f"`latents` must be an (N, k) array; received shape {latents.shape}.")
        self.params0, self.static = eqx.partition(model, eqx.is_inexact_array)
        self.latents = latents
        self.masses = masses_for(latents, masses)
        try:
            out = jax.eval_shape(lambda z: jax.vmap(self.model(self.params0))(z), latents)
        except Exception as err:  # any failure to apply the model is a bad model/latents pair
            raise ValueError(f"`model` cannot be applied to latents of shape {latents.shape[1:]}: {err}") from err
        if out.ndim != 2:
            raise ValueError(f"`model` must map a latent vector to a point (d,); it returns shape {out.shape[1:]}.")

    def model(self, state):
        """The network with parameters `state`."""
        return eqx.combine(state, self.static)

    def init(self):
        return self.params0

    def points(self, state):
        return jax.vmap(self.model(state))(self.latents)

    def pullback(self, state, velocity):
        _, vjp = jax.vjp(self.points, state)
        return vjp(velocity)[0]


def as_generator(generator) -> AbstractGenerator:
    """A `Measure` becomes free `Particles`; a generator player is returned as it is."""
    if isinstance(generator, AbstractGenerator):
        return generator
    if isinstance(generator, Measure):
        return Particles(generator)
    raise ValueError(
        "`generator` must be a Measure (free particles) or a generator player such as "
        f"NeuralGenerator; received {type(generator).__name__}."
    )

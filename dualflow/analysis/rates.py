r"""Local rates measured from a simulated trajectory (no model assumed).

Near an equilibrium $X^*$ the offsets $\xi_k = x_k - X^*$ of a linear(ized) system are sums of
modes $\sum_i v_i\rho_i^k$. Stacking $q$ consecutive offsets into delay vectors
$Z_k = (\xi_k, \dots, \xi_{k+q-1})$ makes the dynamics an exact linear map $Z_{k+1} = A Z_k$ on
the span of the excited modes (Hankel dynamic mode decomposition); fitting $A$ by least
squares on the rank-truncated delay matrix recovers the $\rho_i$ themselves (complex pairs
included) without assuming a model. Modes of the discriminator that never reach the
particles are invisible, as they should be.
"""

from __future__ import annotations

import numpy as np


def fitted_eigenvalues(offsets, *, delays: int | None = None, rank_tol: float = 1e-6, floor: float = 1e-9):
    r"""Eigenvalues of the best linear one-save map of a trajectory's offsets.

    **Arguments:**

    - `offsets`: `(S, ...)` offsets from the equilibrium at equally spaced saves (any trailing
      shape; flattened). Use the part of a run where the offsets are small (linear regime).
    - `delays`: delay-embedding depth $q$. The default holds every mode the particles can see
      ($q\,Nd \ge 2Nd + 1$) and resolves them all in exact arithmetic; with many
      near-degenerate slow modes it can turn rounding noise into spurious eigenvalues, and a
      shallow depth (down to the least that holds a complex pair, $q\,Nd \ge 2$) then gives the
      dominant mode more robustly, once the faster ones have decayed.
    - `rank_tol`: singular values below `rank_tol` times the largest are discarded (the
      number of modes the trajectory actually excites; nonlinear and rounding residue stay below).
    - `floor`: the series is cut where its amplitude first falls below `floor` times its largest
      (past that, rounding noise and not the dynamics drives the offsets).

    **Returns:** complex eigenvalues sorted by decreasing modulus (per save; raise to the power
    `1/save_every` for per-step factors, or take `log(.)/dt` for continuous rates).
    """
    series = np.asarray(offsets, dtype=float).reshape(len(offsets), -1)
    if series.shape[0] < 4 or not np.all(np.isfinite(series)):
        raise ValueError(f"`offsets` must hold at least 4 finite saves; received shape {series.shape}.")
    amplitude = np.max(np.abs(series), axis=1)
    below = np.nonzero(amplitude < floor * np.max(amplitude))[0]
    series = series[: below[0]] if below.size else series
    dim = series.shape[1]
    q = delays if delays is not None else -(-(2 * dim + 1) // dim)
    if series.shape[0] - q < 2:
        raise ValueError(f"`offsets` keeps {series.shape[0]} saves above the floor, too few for {q} delays.")
    hankel = np.stack([series[i : series.shape[0] - q + i + 1].T for i in range(q)]).reshape(q * dim, -1)
    scale = np.max(np.abs(hankel), axis=0)  # one scale per column keeps decaying tails well conditioned
    before, after = hankel[:, :-1] / scale[:-1], hankel[:, 1:] / scale[:-1]
    u, s, vt = np.linalg.svd(before, full_matrices=False)
    r = int(np.sum(s > rank_tol * s[0]))
    u, s, vt = u[:, :r], s[:r], vt[:r]
    reduced = u.T @ after @ vt.T / s[None, :]
    eigs = np.linalg.eigvals(reduced)
    return eigs[np.argsort(-np.abs(eigs))]

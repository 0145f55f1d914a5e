"""A plain-NumPy exact-kernel GDA (SCIENCE §2), the independent reference of the GDA tests:

    D-step:  f <- (1 - eta_d lam) f + eta_d ( sum_i p_i K(., y_i) - sum_j m_j K(., x_j) )
    G-step:  x_j <- x_j + eta_g * w_j * grad f(x_j)

with the discriminator kept as an explicit, never-truncated list of kernel centres."""

import numpy as np


def numpy_gda(y, p, x, m, order, n_critic, n_steps, weights, *, sigma, reg, lr_g, lr_d):
    """Positions `(n_steps + 1, N, d)` of exact-kernel GDA (Gaussian kernel `sigma`)."""
    centres, coefs = np.zeros((0, y.shape[1])), np.zeros(0)

    def grad_f(z):
        diff = z[:, None, :] - centres[None, :, :]
        k = np.exp(-np.sum(diff**2, axis=-1) / (2 * sigma**2))
        return np.einsum("nk,k,nkd->nd", k, coefs, -diff / sigma**2)

    def d_step(xs):
        nonlocal centres, coefs
        for _ in range(n_critic):
            coefs = (1 - lr_d * reg) * coefs
            centres = np.concatenate([centres, y, xs])
            coefs = np.concatenate([coefs, lr_d * p, -lr_d * m])

    path = [x.copy()]
    for _ in range(n_steps):
        if order == "simultaneous":
            v = weights[:, None] * grad_f(x)
            d_step(x)
            x = x + lr_g * v
        elif order == "alternating_d_first":
            d_step(x)
            x = x + lr_g * weights[:, None] * grad_f(x)
        else:
            x = x + lr_g * weights[:, None] * grad_f(x)
            d_step(x)
        path.append(x.copy())
    return np.stack(path)

"""A plain-NumPy exact-kernel GDA (docs/science.md §2), the independent reference of the GDA tests:

    D-step:  f <- (1 - eta_d lam) f + eta_d ( sum_i p_i K(., y_i) - sum_j m_j K(., x_j) )
    G-step:  x_j <- x_j + eta_g * w_j * grad f(x_j)

with the discriminator kept as an explicit, never-truncated list of kernel centres."""

import numpy as np


def numpy_gda(y, p, x, m, order, n_critic, n_steps, weights, *, sigma, reg, lr_g, lr_d, probe=None):
    """Positions `(n_steps + 1, N, d)` of exact-kernel GDA (Gaussian kernel `sigma`); with `probe`
    (points `(G, d)`), also `(n_steps + 1, G, 1 + d)`: f and grad f there after every step."""
    centres, coefs = np.zeros((0, y.shape[1])), np.zeros(0)

    def kernel(z):
        diff = z[:, None, :] - centres[None, :, :]
        return np.exp(-np.sum(diff**2, axis=-1) / (2 * sigma**2)), diff

    def grad_f(z):
        k, diff = kernel(z)
        return np.einsum("nk,k,nkd->nd", k, coefs, -diff / sigma**2)

    def field(z):
        k, _ = kernel(z)
        return np.concatenate([(k @ coefs)[:, None], grad_f(z)], axis=1)

    def d_step(xs):
        nonlocal centres, coefs
        for _ in range(n_critic):
            coefs = (1 - lr_d * reg) * coefs
            centres = np.concatenate([centres, y, xs])
            coefs = np.concatenate([coefs, lr_d * p, -lr_d * m])

    path = [x.copy()]
    fields = [] if probe is None else [field(probe)]
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
        if probe is not None:
            fields.append(field(probe))
    return np.stack(path) if probe is None else (np.stack(path), np.stack(fields))


class _Function:
    """f = sum_k c_k K(., z_k) on a growing list of centres shared by every function (the data first,
    then each configuration the run has seen): functions are coefficient vectors, padded with zeros."""

    def __init__(self, sigma):
        self.sigma, self.centres = sigma, []

    def add_centres(self, z):
        self.centres.append(z)
        return sum(len(c) for c in self.centres[:-1])  # the offset of the new block

    def zeros(self):
        return np.zeros(sum(len(c) for c in self.centres))

    def pad(self, coefs):
        return np.concatenate([coefs, np.zeros(sum(len(c) for c in self.centres) - len(coefs))])

    def grad(self, coefs, z):
        centres = np.concatenate(self.centres)
        diff = z[:, None, :] - centres[None, :, :]
        k = np.exp(-np.sum(diff**2, axis=-1) / (2 * self.sigma**2))
        return np.einsum("nk,k,nkd->nd", k, self.pad(coefs), -diff / self.sigma**2)


def numpy_extrapolated_gda(y, p, x, m, scheme, n_steps, weights, *, sigma, reg, lr_g, lr_d):
    """Positions `(n_steps + 1, N, d)` of exact-kernel extragradient (`scheme="extragradient"`) or
    optimistic GDA (`"optimistic"`), from f = 0, with D(f, X) = m_nu - m_X - reg f:

        extragradient: x~ = x + lr_g w grad f(x),  f~ = f + lr_d D(f, X);
                       x' = x + lr_g w grad f~(x~), f' = f + lr_d D(f~, X~)
        optimistic:    x' = x + lr_g (2 v_k - v_{k-1}), f' = f + lr_d (2 D_k - D_{k-1}),
                       v_{-1} = v_0, D_{-1} = D_0."""
    space = _Function(sigma)
    space.add_centres(y)

    def direction(f, xs):  # D(f, X) as coefficients (X added as new centres)
        offset = space.add_centres(xs)
        d = -reg * space.pad(f)
        d[: len(y)] += p
        d[offset : offset + len(xs)] -= m
        return d

    def velocity(f, xs):
        return weights[:, None] * space.grad(f, xs)

    f = space.zeros()
    previous = None
    path = [x.copy()]
    for _ in range(n_steps):
        if scheme == "extragradient":
            d = direction(f, x)
            x_look, f_look = x + lr_g * velocity(f, x), space.pad(f) + lr_d * d
            d_look = direction(f_look, x_look)
            x = x + lr_g * velocity(f_look, x_look)
            f = space.pad(f) + lr_d * d_look
        else:
            v, d = velocity(f, x), direction(f, x)
            v_prev, d_prev = (v, d) if previous is None else (previous[0], space.pad(previous[1]))
            x = x + lr_g * (2 * v - v_prev)
            f = space.pad(f) + lr_d * (2 * d - d_prev)
            previous = (v, d)
        path.append(x.copy())
    return np.stack(path)

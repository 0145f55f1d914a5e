"""Payoffs, the particle-versus-discriminator game, and the small exact games."""

from .kernel_game import KernelGame as KernelGame, VELOCITY_CONVENTIONS as VELOCITY_CONVENTIONS
from .payoffs import (
    AbstractPayoff as AbstractPayoff,
    KernelIPM as KernelIPM,
    Logistic as Logistic,
    NonSaturating as NonSaturating,
    WGAN as WGAN,
)
from .zoo import bilinear as bilinear, dirac_gan as dirac_gan, linear_critic as linear_critic
from .zoo import clipped_wgan_toy as clipped_wgan_toy

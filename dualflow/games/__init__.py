"""Payoffs, the particle-versus-discriminator game, and the small exact games."""

from .kernel_game import VELOCITY_CONVENTIONS as VELOCITY_CONVENTIONS, KernelGame as KernelGame
from .payoffs import (
    WGAN as WGAN,
    AbstractPayoff as AbstractPayoff,
    KernelIPM as KernelIPM,
    Logistic as Logistic,
    NonSaturating as NonSaturating,
)
from .zoo import (
    bilinear as bilinear,
    clipped_wgan_toy as clipped_wgan_toy,
    dirac_gan as dirac_gan,
    linear_critic as linear_critic,
)

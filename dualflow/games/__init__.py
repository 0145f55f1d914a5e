"""Payoffs, the particle-versus-discriminator game, and the small exact games."""

from .kernel_game import VELOCITY_CONVENTIONS as VELOCITY_CONVENTIONS
from .kernel_game import KernelGame as KernelGame
from .payoffs import (
    WGAN as WGAN,
)
from .payoffs import (
    AbstractPayoff as AbstractPayoff,
)
from .payoffs import (
    KernelIPM as KernelIPM,
)
from .payoffs import (
    Logistic as Logistic,
)
from .payoffs import (
    NonSaturating as NonSaturating,
)
from .zoo import bilinear as bilinear
from .zoo import clipped_wgan_toy as clipped_wgan_toy
from .zoo import dirac_gan as dirac_gan
from .zoo import linear_critic as linear_critic

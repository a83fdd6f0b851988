"""A Gaussian mixture over a VAE's latent space: an EM fit and an exact, seeded sampler.

Why: a VAE's encoded pictures do not fill N(0, I) (its KL stays far from 0), so decoding prior draws
gives patchworks from the holes between them. Ex-post density estimation (Ghosh et al. 2020, "From
Variational to Deterministic Autoencoders", sec. 4) fits a small mixture to the encoder's means after
training and draws from that instead; the decoder is unchanged.

  p(z) = sum_k w_k N(z; m_k, L_k L_k^T)          w (K,), m (K, D), L (K, D, D) lower-triangular

EM is a short loop here rather than scikit-learn's GaussianMixture: torch is already a dependency,
and the fit is ~60 lines in float64 with a seeded k-means++ start (deterministic given the seed).
Covariances are regularised (Sigma_k + reg * mean latent variance * I): with ~100 pictures per
component in 128 dimensions the sample covariance alone is singular.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

COVARIANCES = ("full", "diag")
MAX_COMPONENTS = 64


@dataclass(frozen=True)
class MixtureSettings:
    """components: 1..64; covariance: "full" or "diag"; reg: added to every covariance's diagonal, as a
    fraction of the latents' mean variance (0..1); max_iter / tol: EM stops at either (tol on the mean
    log-likelihood per point); seed: drives the k-means++ start."""

    components: int = 16
    covariance: str = "full"
    reg: float = 0.05
    max_iter: int = 200
    tol: float = 1e-4
    seed: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.components <= MAX_COMPONENTS:
            raise ValueError(f"components must be 1..{MAX_COMPONENTS}, got {self.components}")
        if self.covariance not in COVARIANCES:
            raise ValueError(f"covariance must be one of {COVARIANCES}, got {self.covariance!r}")
        if not (math.isfinite(self.reg) and 0 < self.reg <= 1):
            raise ValueError(f"reg must be in (0, 1], got {self.reg}")


@dataclass(frozen=True)
class MixtureFit:
    """A fitted mixture (float64): weights (K,), means (K, D), scale_tril (K, D, D); log_likelihood is
    the mean per point; iterations run."""

    weights: torch.Tensor
    means: torch.Tensor
    scale_tril: torch.Tensor
    log_likelihood: float
    iterations: int


def _kmeans(x: torch.Tensor, k: int, gen: torch.Generator, iters: int = 20) -> torch.Tensor:
    """k-means++ seeding (Arthur & Vassilvitskii 2007) + Lloyd iterations -> hard labels (N,)."""
    centres = [x[torch.randint(len(x), (1,), generator=gen)].squeeze(0)]
    for _ in range(1, k):
        d2 = torch.cdist(x, torch.stack(centres)).square().min(1).values  # (N,)
        centres.append(x[torch.multinomial(d2 / d2.sum(), 1, generator=gen)].squeeze(0))
    c = torch.stack(centres)  # (k, D)
    for _ in range(iters):
        labels = torch.cdist(x, c).argmin(1)
        for j in range(k):
            members = x[labels == j]
            if len(members):  # an empty cluster keeps its centre
                c[j] = members.mean(0)
    return torch.cdist(x, c).argmin(1)


def _m_step(x: torch.Tensor, resp: torch.Tensor, covariance: str, reg: float
            ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Weights, means and Cholesky factors from responsibilities resp (N, K)."""
    nk = resp.sum(0) + 1e-10  # (K,)
    means = resp.T @ x / nk[:, None]  # (K, D)
    eye = torch.eye(x.shape[1], dtype=x.dtype)
    tril = []
    for k in range(resp.shape[1]):
        d = x - means[k]  # (N, D)
        if covariance == "full":
            cov = (resp[:, k, None] * d).T @ d / nk[k] + reg * eye
        else:
            cov = torch.diag((resp[:, k, None] * d.square()).sum(0) / nk[k] + reg)
        tril.append(torch.linalg.cholesky(cov))
    return nk / nk.sum(), means, torch.stack(tril)


def _log_joint(x: torch.Tensor, weights: torch.Tensor, means: torch.Tensor, tril: torch.Tensor) -> torch.Tensor:
    """log w_k + log N(x_n; m_k, L_k L_k^T) -> (N, K)."""
    d = x.shape[1]
    cols = []
    for k in range(len(weights)):
        y = torch.linalg.solve_triangular(tril[k], (x - means[k]).T, upper=False)  # (D, N) whitened
        log_det = torch.log(torch.diagonal(tril[k])).sum()
        cols.append(-0.5 * y.square().sum(0) - log_det - 0.5 * d * math.log(2 * math.pi) + torch.log(weights[k]))
    return torch.stack(cols, 1)


def fit_mixture(latents: torch.Tensor, settings: MixtureSettings = MixtureSettings()) -> MixtureFit:
    """EM for a Gaussian mixture on latents (N, D) (Dempster et al. 1977), started from k-means++.

    Needs N >= components. Deterministic given settings.seed; never touches the global RNG."""
    x = latents.detach().double().cpu()
    if x.ndim != 2 or len(x) < settings.components or not torch.isfinite(x).all():
        raise ValueError(f"need finite latents (N, D) with N >= {settings.components}, got {tuple(x.shape)}")
    reg = settings.reg * float(x.var(0, correction=0).mean().clamp_min(1e-12))
    gen = torch.Generator().manual_seed(int(settings.seed))
    resp = nn.functional.one_hot(_kmeans(x, settings.components, gen), settings.components).double()
    params = _m_step(x, resp, settings.covariance, reg)
    previous, it = -math.inf, 0
    for it in range(1, settings.max_iter + 1):
        joint = _log_joint(x, *params)  # E-step
        ll = float(torch.logsumexp(joint, 1).mean())
        resp = torch.softmax(joint, 1)
        params = _m_step(x, resp, settings.covariance, reg)
        if abs(ll - previous) < settings.tol:
            break
        previous = ll
    final = float(torch.logsumexp(_log_joint(x, *params), 1).mean())
    return MixtureFit(*params, log_likelihood=final, iterations=it)


class MixturePrior(nn.Module):
    """The fitted mixture as buffers (saved in model.safetensors): weights (K,), means (K, D),
    scale_tril (K, D, D). Full and diagonal fits are stored alike (a diagonal L for "diag").
    A labelled model's prior (labelled=True) also holds component_class (K,): the class each component
    was fitted to, so a draw can be restricted to one class's components."""

    def __init__(self, components: int, z_dim: int, labelled: bool = False):
        super().__init__()
        self.register_buffer("weights", torch.full((components,), 1.0 / components))
        self.register_buffer("means", torch.zeros(components, z_dim))
        self.register_buffer("scale_tril", torch.eye(z_dim).expand(components, z_dim, z_dim).clone())
        # None (left out of the weights file) for unlabelled models, so older folders load with the same keys.
        self.register_buffer("component_class", torch.zeros(components, dtype=torch.long) if labelled else None)

    @torch.no_grad()
    def set_fit(self, fit: MixtureFit, component_class: torch.Tensor | None = None) -> "MixturePrior":
        self.weights.copy_(fit.weights)
        self.means.copy_(fit.means)
        self.scale_tril.copy_(fit.scale_tril)
        if component_class is not None:
            self.component_class.copy_(component_class)
        return self

    def _cumulative(self, label: int | None = None) -> torch.Tensor:
        # Half-precision storage and hand-edited files may not sum to 1: renormalise, negatives count 0.
        w = self.weights.double().clamp_min(0)
        if label is not None and self.component_class is not None:
            w = torch.where(self.component_class == int(label), w, torch.zeros_like(w))
        w = w / w.sum() if float(w.sum()) > 0 else torch.full_like(w, 1.0 / len(w))
        cum = w.cumsum(0)
        cum[int(w.nonzero().max()):] = 1.0  # rounding never lands past the last component that may be drawn
        return cum

    @torch.no_grad()
    def transform(self, eps: torch.Tensor, variety: float = 1.0,
                  labels: list[int | None] | None = None, class_strength: float = 1.0) -> torch.Tensor:
        """Standard-normal rows eps (N, D) -> exact mixture draws (N, D) float32, one per row.

        u = Phi(eps_0) picks component k by the cumulative weights; u rescaled inside k's interval is
        uniform again, so v = (Phi^-1(u'), eps_1..) ~ N(0, I) and z = m_k + variety * L_k v.
        variety: 1 = as fitted, 0 = the component's mean. labels (one per row, None = any): a labelled
        prior picks among that class's components only. class_strength (a labelled prior's rows with a
        label): 1 = as fitted; above 1 each draw moves (strength - 1) times the way from the mean of all
        classes to its class's mean (class_offset). Row by row in float64, so a row's result never
        depends on the others in the batch."""
        rows, cumulative, offsets = [], {}, {}  # per class (or None), computed once per call
        for i, e in enumerate(eps.double()):
            label = labels[i] if labels is not None else None
            if label not in cumulative:
                cumulative[label] = self._cumulative(label)
                offsets[label] = (float(class_strength) - 1) * self.class_offset(label)
            k, v = self._split(e, cumulative[label])
            rows.append(self.means[k].double() + float(variety) * (self.scale_tril[k].double() @ v) + offsets[label])
        return torch.stack(rows).float()

    def class_offset(self, label: int | None) -> torch.Tensor:
        """A class's mean latent minus the mean of all classes (D,) float64, zeros without a class: the way
        a class strength above 1 pushes its draws, so what sets the class apart grows (the latent-space
        counterpart of a labelled GAN's class weights pushed past the one-hot, sampling.class_weights)."""
        if label is None or self.component_class is None:
            return torch.zeros(self.means.shape[1], dtype=torch.float64, device=self.means.device)
        w = self.weights.double().clamp_min(0)
        mine = torch.where(self.component_class == int(label), w, torch.zeros_like(w))
        means = self.means.double()
        return mine @ means / mine.sum().clamp_min(1e-300) - w @ means / w.sum().clamp_min(1e-300)

    def _split(self, e: torch.Tensor, cum: torch.Tensor) -> tuple[int, torch.Tensor]:
        u = torch.special.ndtr(e[0])
        k = min(int(torch.searchsorted(cum, u, right=True)), len(cum) - 1)
        low = cum[k - 1] if k > 0 else torch.zeros((), dtype=cum.dtype)
        inner = ((u - low) / (cum[k] - low)).clamp(1e-15, 1 - 1e-15)
        return k, torch.cat([torch.special.ndtri(inner).view(1), e[1:]])

    @torch.no_grad()
    def component(self, z: torch.Tensor) -> torch.Tensor:
        """The most likely component of each latent z (N, D) -> (N,) long."""
        w = self.weights.double().clamp_min(1e-30)
        return _log_joint(z.double(), w, self.means.double(), self.scale_tril.double()).argmax(1)

    def label_of(self, z: torch.Tensor) -> torch.Tensor | None:
        """The class of each latent's most likely component (N,) long, or None for an unlabelled prior."""
        return None if self.component_class is None else self.component_class[self.component(z)]

    @torch.no_grad()
    def vary(self, z: torch.Tensor, noise: torch.Tensor, strength: float) -> torch.Tensor:
        """Variations of z (D,) inside its component: whiten w = L_k^-1 (z - m_k), rotate towards
        standard-normal noise (n, D) by strength * pi/2, colour back. 0 = z itself, 1 = fresh draws
        of z's component (the same kind of picture). -> (n, D) float32."""
        k = int(self.component(z.unsqueeze(0))[0])
        m, tril = self.means[k].double(), self.scale_tril[k].double()
        w = torch.linalg.solve_triangular(tril, (z.double() - m).view(-1, 1), upper=False).view(-1)
        angle = strength * math.pi / 2
        rows = [m + tril @ (math.cos(angle) * w + math.sin(angle) * e) for e in noise.double()]
        return torch.stack(rows).float()

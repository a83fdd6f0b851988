"""The training engine: train() is a generator of progress events that the UI and the CLI render.

One readable loop: pick a batch, d_step + g_step (GAN or texture model: a texture model is a GAN whose
"batch" is random crops and whose latents are noise grids) or vae_step (VAE), update the EMA, and now
and then report progress, draw a preview grid, take an in-memory "last good" snapshot, and write a
checkpoint. It stops at the time budget, the epoch/step limit, the stop event, or Ctrl-C, and always
finishes by exporting a model folder. A non-finite loss rolls back to the last good snapshot and
stops with the reason; no NaN checkpoint or model is ever written.

    python -m genmodels.train --data DIR_OR_ZIP --out weights/NAME [--model dcgan-64] [--minutes 10]
"""
from __future__ import annotations

import copy
import dataclasses
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..data.dataset import Dataset
from ..errors import StudioError
from ..generation.sampling import grid
from ..generation.texture import texture_grid
from ..imaging.tensors import to_images, uint8_to_float
from ..models.gan import GANConfig, build_discriminator, with_class_scale
from ..models.presets import ModelConfig, get_preset
from ..models.texture import TextureConfig, TextureDiscriminator, patch_loss
from ..storage.safe_tensors_io import remove_stale_temps, write_tensors_atomic
from ..storage.store import MODEL_FILES, SAMPLES_FILE, build_network, save_model
from . import distributed as dist
from .checkpoint import CHECKPOINT_FILE, CheckpointError, flatten_state, load_checkpoint, restore_state, save_checkpoint
from .class_strengths import with_own_class_strengths
from .crisp_patch import with_own_crisp_patch
from .config import TrainConfig
from .epochs import epoch_order
from .latents import preview_latents, step_generator, training_latents
from .lecam import LeCam
from .precision import pick_device, pick_precision
from .progress import RunProgress, TrainEvent
from .recipes import auto_batch_size, first_stage_share, lr_factor, schedule_fade
from .steps import (GANRecipe, VAEObjective, averaged_down, d_step, ema_beta, ema_update, g_step,
                    recalibrate_batchnorm, vae_reconstruction, vae_step)
from .two_stage import VAE_DETAIL_FROM, DetailStage
from .vae_prior import DEFAULT_PRIOR, prior_grid, with_fitted_prior

PROGRESS_EVERY = 5  # steps between progress events (each costs one host sync for the losses)
SNAPSHOT_EVERY = 25  # steps between in-memory "last good" snapshots used for rollback
PREVIEW_SEEDS = range(16)  # the fixed latents every preview grid is drawn from
# Tests only: when set to a folder, every rank of a run saves its final state there as
# rank<N>.safetensors, so tests/genmodels/training/test_distributed.py can check that the ranks end identical.
RANK_STATE_ENV = "LATENT_STUDIO_RANK_STATE_DIR"


class _Run:
    def __init__(self, cfg: TrainConfig, dataset: Dataset, out_dir: Path, resume: bool):
        self.cfg, self.dataset, self.out_dir = cfg, dataset, Path(out_dir)
        self.device = pick_device(cfg.device)
        self.precision, self.precision_note = pick_precision(cfg.precision, self.device)
        self.model_cfg = cfg.model_config(dataset.classes)
        if (dataset.image_size, dataset.channels) != (self.model_cfg.image_size, self.model_cfg.channels):
            raise CheckpointError(f"The dataset was prepared at {dataset.image_size} px with {dataset.channels} "
                                  f"channel(s), but {cfg.preset} needs {self.model_cfg.image_size} px.")
        self.world, self.rank = dist.world_size(), dist.rank()
        if self.rank == 0:  # a run killed while saving (SIGKILL) left its temp files: this run owns the folders
            remove_stale_temps(self.out_dir, (*MODEL_FILES, SAMPLES_FILE))
            remove_stale_temps(self.out_dir / "checkpoint", (CHECKPOINT_FILE,))
        if len(dataset) < self.world:  # every process needs at least one image per step
            raise StudioError(f"{len(dataset)} image(s) cannot be shared between {self.world} processes.")
        batch = cfg.batch_size or auto_batch_size(cfg.recipe, cfg.kind, self.device.type, len(dataset))
        self.batch = max(self.world, min(batch, len(dataset)))
        self.steps_per_epoch = max(1, len(dataset) // self.batch)
        self.images = dataset.images.to(self.device)  # preloaded uint8 (N, C, S, S), decoded once
        # A labelled GAN's class of each picture (N,); labelled VAEs train as before and use them only to fit the prior.
        labelled = cfg.kind == "gan" and dataset.labels is not None
        self.labels = dataset.labels.to(self.device) if labelled else None
        self.spec = first_stage_share(cfg.recipe_spec, self.precision, self.device.type, labelled)
        self._build()
        self.step, self.prior_seconds, self.epoch_perm = 0, 0.0, (-1, None)
        self.step_images = self.batch  # pictures the last step learned from (the detail stage takes fewer)
        self.exported_samples: np.ndarray | None = None  # export()'s grid = the final preview
        if resume:
            self._resume()
        waves = getattr(getattr(self, "G", None), "waves", None)  # fixed from here on; all (0, 0) if none stood out
        self.patch_side = self.spec.patch_side(regular=waves is not None and bool(waves.any()))
        self.last_good = self._snapshot()

    # ---- set-up ----------------------------------------------------------------------------------
    def _discriminator(self) -> torch.nn.Module:
        if isinstance(self.model_cfg, TextureConfig):
            return TextureDiscriminator(self.model_cfg)
        return build_discriminator(self.model_cfg)

    def _latents(self, n: int, gen: torch.Generator, y: torch.Tensor | None = None) -> torch.Tensor:
        return training_latents(self.model_cfg, n, gen, y)

    @property
    def two_stage_gan(self) -> bool:  # a two-stage GAN, or a texture GAN with two scales
        return self.cfg.kind in ("gan", "texture") and bool(self.model_cfg.base_size)

    def _build(self) -> None:
        # channels_last for every network, the BatchNorm discriminator included: measured on a 2-core
        # AVX512-BF16 CPU at batch 64 (1 thread), it is 2-5% faster than the default layout for G and D,
        # fp32 and bf16, 32 and 64 px, and for the VAE; no case was slower.
        cfg, mem = self.cfg, torch.channels_last
        self.net = build_network(self.model_cfg, cfg.seed).to(self.device, memory_format=mem).train()
        if isinstance(self.model_cfg, TextureConfig):  # the pictures' regular repeats (texture_waves.py)
            self.net.fit_waves(self.dataset.images)
        self.modules: dict[str, torch.nn.Module] = {"model": self.net}
        if cfg.kind in ("gan", "texture"):
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(cfg.seed + 1)
                self.D = self._discriminator().to(self.device, memory_format=mem).train()
            betas = self.spec.betas
            # Adam's default (foreach) kernels, not fused=True: fused would save ~2% of a step on a CPU, but
            # it walks parameter and state memory as flat arrays, so a resumed state (contiguous, from
            # safetensors) beside a channels_last parameter pairs the wrong elements (measured: wrong weights).
            # A two-stage GAN's first stage (models/gan.py TwoStageGenerator.base) is the GAN; its detail
            # network trains later, in its own steps (two_stage.py).
            self.G = self.net.base if self.two_stage_gan else self.net
            self.opt_g = torch.optim.Adam(self.G.parameters(), lr=cfg.learning_rate, betas=betas)
            self.opt_d = torch.optim.Adam(self.D.parameters(), lr=cfg.learning_rate, betas=betas)
            self.optimizers = {"g": self.opt_g, "d": self.opt_d}
            self.modules["discriminator"] = self.D
            lecam = LeCam(self.spec.lecam).to(self.device) if self.spec.lecam else None
            if lecam is not None:
                self.modules["lecam"] = lecam
            self.recipe = GANRecipe(loss=self.spec.loss, diff_augment=self.spec.diff_augment,
                                    precision=self.precision, device=self.device,
                                    reconstruction=self.spec.reconstruction, r_gamma=self.spec.r_gamma,
                                    r_every=self.spec.r_every, augment_policy=self.spec.augment_policy, lecam=lecam)
            self.G_step, self.D_step = dist.wrap(self.G), dist.wrap(self.D)  # g_step calls D unwrapped
        if cfg.kind == "vae":
            first_stage = [p for name, p in self.net.named_parameters() if not name.startswith("detail.")]
            self.opt = torch.optim.Adam(first_stage, lr=cfg.learning_rate)
            self.optimizers = {"vae": self.opt}
            # A two-stage VAE's detail network trains in its own steps: DDP must not wait for its gradients here.
            self.V_step = dist.wrap(VAEObjective(self.net), ignore_prefix="vae.detail.")
        self.detail: DetailStage | None = None  # a two-stage model's second stage
        if self.two_stage_gan:
            self.detail = DetailStage(self.net, averaged_down(self.model_cfg.base_size), self.spec.detail_from,
                                      cfg.seed, self.device, mem, first_stage_from_average=True)
        elif cfg.kind == "vae" and self.net.detail is not None:
            self.detail = DetailStage(self.net, vae_reconstruction(self.net), VAE_DETAIL_FROM, cfg.seed,
                                      self.device, mem)
        if self.detail is not None:
            self.optimizers.update(self.detail.optimizers)
            self.modules["critic"] = self.detail.critic
        # A GAN's generator average, or a two-stage model's average of its detail stage (the first stage is
        # frozen by then, so averaging the whole network averages the detail network alone).
        uses_ema = cfg.uses_ema or self.detail is not None
        self.ema = copy.deepcopy(self.net).eval().requires_grad_(False) if uses_ema else None
        if self.ema is not None:
            self.modules["ema"] = self.ema

    def _resume(self) -> None:
        # Every rank reads the checkpoint rank 0 wrote (out_dir is shared by all processes), so all
        # continue from the same weights, buffers and optimizer states.
        tensors, meta = load_checkpoint(self.out_dir / "checkpoint")
        if meta.get("preset") != self.cfg.preset or meta.get("recipe") != self.cfg.recipe:
            raise CheckpointError(f"The checkpoint in {self.out_dir.name} is for {meta.get('preset')} / "
                                  f"{meta.get('recipe')}, not {self.cfg.preset} / {self.cfg.recipe}.")
        # A texture run checkpointed before its recipe had LeCam starts LeCam's running means afresh.
        restore_state(tensors, meta, self.modules, self.optimizers, optional=("lecam",))
        if isinstance(self.model_cfg, GANConfig):  # a run checkpointed before class_scale existed began at 1
            try:
                self.model_cfg = with_class_scale(self.model_cfg, meta.get("class_scale", 1.0), self.modules.values())
            except ValueError:
                raise CheckpointError("The checkpoint's class scale is not a number above 0.") from None
        self.step, self.prior_seconds = int(meta["step"]), float(meta.get("seconds", 0.0))
        if self.detail is not None:
            self.detail.start = meta.get("detail_from")

    # ---- state -----------------------------------------------------------------------------------
    def _snapshot(self) -> tuple[dict[str, torch.Tensor], dict[str, Any], int]:
        tensors, json_part = flatten_state(self.modules, self.optimizers)
        return tensors, json_part, self.step

    def _healthy(self) -> bool:
        return all(torch.isfinite(p).all() for m in self.modules.values() for p in m.parameters())

    def _rollback(self) -> None:
        tensors, json_part, step = self.last_good
        restore_state(tensors, json_part, self.modules, self.optimizers)
        self.step = step

    def _checkpoint(self, seconds: float) -> Path:
        tensors, json_part, step = self.last_good if not self._healthy() else self._snapshot()
        meta = {**json_part, "step": step, "seed": self.cfg.seed, "preset": self.cfg.preset,
                "recipe": self.cfg.recipe, "seconds": seconds, "train_config": dataclasses.asdict(self.cfg),
                "class_scale": getattr(self.model_cfg, "class_scale", 1.0),
                "detail_from": self.detail.start if self.detail is not None else None,
                "dataset": self.dataset.report.to_dict()}
        return save_checkpoint(self.out_dir / "checkpoint", tensors, meta)

    # ---- the loop --------------------------------------------------------------------------------
    def _batch(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        epoch, i = divmod(self.step, self.steps_per_epoch)
        if self.epoch_perm[0] != epoch:  # the same permutation on every rank: (seed, epoch) -> order
            gen = step_generator(self.cfg.seed, epoch, salt=1)
            self.epoch_perm = (epoch, epoch_order(len(self.dataset), gen, self.labels))
        idx = self.epoch_perm[1][i * self.batch:(i + 1) * self.batch]
        idx = idx[self.rank::self.world]  # this process's shard of the global batch
        real = uint8_to_float(self.images[idx.to(self.device)])  # (b, C, S, S) in [-1, 1]
        y = None  # a labelled set's class weights (b, K), one-hot
        if self.labels is not None:
            y = torch.eye(len(self.dataset.classes), device=self.device)[self.labels[idx.to(self.device)]]
        return real.contiguous(memory_format=torch.channels_last), y

    def _resolution(self, progress: float) -> bool:
        """Advance the resolution schedule to progress (0..1 of the run; it never moves back, so a resumed
        run stays at full size); True while G and D work at half size."""
        if getattr(self.model_cfg, "arch", None) != "fastgan":
            return False
        fade = max(float(self.net.fade), schedule_fade(self.spec, progress))
        for net in (self.net, self.D, self.ema):
            if net is not None:
                net.fade.fill_(fade)
        return fade == 0.0

    def _one_step(self, progress: float = 1.0) -> dict[str, torch.Tensor]:
        (real, y), gen = self._batch(), step_generator(self.cfg.seed, self.step, rank=self.rank)
        if self.detail is not None and self.detail.active(progress):  # a two-stage model's second stage
            losses, self.step_images = self.detail.step(self.step, real, gen, self.ema, self.precision, self.device)
            return losses
        self.step_images = self.batch
        if self.cfg.kind == "vae":
            losses = vae_step(self.V_step, self.model_cfg.z_dim, self.opt, real, gen, self.precision, self.device)
            dist.average_buffers([self.net])
            return losses
        if self.two_stage_gan:  # the first stage learns what the second learns to enlarge: the averages
            real = self.detail.base_of(real, gen).contiguous(memory_format=torch.channels_last)
        y = y if self.cfg.kind == "gan" else None  # a labelled GAN draws its fakes for the real batch's classes
        z = self._latents(real.shape[0], gen, y).to(self.device)
        half_only = self._resolution(progress)
        for opt in (self.opt_g, self.opt_d):
            for group in opt.param_groups:
                group["lr"] = self.cfg.learning_rate * lr_factor(self.spec, progress)
        loss_d, fake, real_in = d_step(self.G_step, self.D_step, self.opt_d, real, z, gen, self.recipe,
                                       step=self.step, half_only=half_only, y=y)
        weight = self.spec.stats_weight
        extra = (lambda f: weight * patch_loss(f, real, gen, size=self.patch_side)) if weight else None
        loss_g = g_step(self.D, self.opt_g, fake, gen, self.recipe, real_in, extra, y)  # unwrapped: D gets no gradient
        dist.average_buffers([m for m in (self.net, self.D, self.recipe.lecam) if m is not None])  # before the EMA
        if self.ema is not None:
            # images seen by the whole run (all ranks) after this step: a pure function of the step
            beta = ema_beta(self.batch, (self.step + 1) * self.batch, self.cfg.ema_half_life_images)
            ema_update(self.ema, self.net, beta)
        return {"d": loss_d, "g": loss_g}

    def sampler(self, batches: int = 16) -> torch.nn.Module:
        """A CPU fp32 copy of the network that draws images, BatchNorm recalibrated (GANs) on batches of 64."""
        averaged = self.ema is not None and (self.cfg.kind != "vae" or self.detail.start is not None)
        net = copy.deepcopy(self.ema if averaged else self.net).float().cpu()
        net = net.to(memory_format=torch.contiguous_format)
        if self.cfg.kind != "vae":
            net.train()
            # a two-stage GAN's BatchNorm is all in its first stage: its detail network would double a preview's cost
            bn_net = net.base if self.two_stage_gan else net
            recalibrate_batchnorm(bn_net, self._latents, torch.Generator().manual_seed(self.cfg.seed), batches)
        return net.eval()

    @torch.no_grad()
    def _samples(self, net: torch.nn.Module, model_cfg: ModelConfig) -> np.ndarray:
        """The grid a preview and the model card show: 16 pictures, or 4 textures at twice the crop size."""
        if isinstance(model_cfg, TextureConfig):
            return texture_grid(net, model_cfg)
        return grid(to_images(net(preview_latents(model_cfg, PREVIEW_SEEDS))))

    def preview(self) -> np.ndarray:  # texture BatchNorm sees every pixel: 4 batches do (16 took 2 s a preview)
        return self._samples(self.sampler(4 if isinstance(self.model_cfg, TextureConfig) else 16), self.model_cfg)

    def dump_rank_state(self, folder: str) -> None:
        """Tests only (RANK_STATE_ENV): this rank's whole training state -> folder/rank<N>.safetensors."""
        tensors, _ = flatten_state(self.modules, self.optimizers)
        Path(folder).mkdir(parents=True, exist_ok=True)
        write_tensors_atomic(Path(folder) / f"rank{self.rank}.safetensors", tensors)

    def _full_batches(self) -> float:
        return self.detail.full_batches(self.step, self.batch) if self.detail is not None else float(self.step)

    def export(self, seconds: float, reason: str, images_per_s: float) -> str:
        net, prior = self.sampler(), None
        if self.cfg.kind == "vae":  # random draws from a mixture fitted to the encoded pictures (vae_prior.py)
            net, prior = with_fitted_prior(net, self.dataset.images,
                                           dataclasses.replace(DEFAULT_PRIOR, seed=self.cfg.seed), self.dataset.labels)
        minutes, secs = divmod(int(round(seconds)), 60)
        recipe = {"gan": self.cfg.recipe, "vae": "vae", "texture": "texture"}[self.cfg.kind]
        training = {"recipe": recipe, "steps": self.step,
                    "epochs": round(self._full_batches() / self.steps_per_epoch, 2), "training_time": f"{minutes} min {secs} s",
                    "training_seconds": round(seconds, 1), "images_per_second": round(images_per_s, 1),
                    "batch_size": self.batch, "learning_rate": self.cfg.learning_rate, "seed": self.cfg.seed,
                    "precision": self.precision_note, "device": str(self.device), "stopped_because": reason}
        meta = {"name": self.out_dir.name, "preset": self.cfg.preset, "training": training,
                "dataset": self.dataset.report.to_dict(), "license": "other", **({"prior": prior} if prior else {})}
        model_cfg = net.cfg if self.cfg.kind == "vae" else self.model_cfg
        if self.cfg.kind == "gan":  # the folder records the preset's D norm: D is not part of the model
            model_cfg = with_own_class_strengths(net, dataclasses.replace(model_cfg, d_norm=get_preset(self.cfg.preset).d_norm))
        if self.cfg.kind == "texture":  # crisp detail's first patch side, chosen for this model (crisp_patch.py)
            model_cfg = with_own_crisp_patch(net, model_cfg, self.dataset.images, self.step)
        with torch.no_grad():
            samples = prior_grid(net) if prior else self._samples(net, model_cfg)
        self.exported_samples = samples  # the saved model's grid: the last preview, without a second recalibration
        swatches = self.dataset.images if self.cfg.kind == "texture" else None  # for crisp detail
        save_model(self.out_dir, net, model_cfg, meta, samples, swatches=swatches)
        return str(self.out_dir)


def train(cfg: TrainConfig, dataset: Dataset, out_dir: str | Path, stop: threading.Event | None = None,
          resume: bool = False, clock: Callable[[], float] = time.perf_counter) -> Iterator[TrainEvent]:
    """Train cfg.preset on dataset, writing checkpoints to out_dir/checkpoint and the model folder to
    out_dir. Yields TrainEvents; set `stop` to end early (the model is kept). Only rank 0 of a
    multi-process run yields events other than "started". clock: the seconds the budget (cfg.minutes)
    and the resolution schedule count; time.process_time makes them CPU seconds, which benchmarks use
    so a busy machine cannot favour one run over another."""
    run = _Run(cfg, dataset, Path(out_dir), resume)
    stop = stop or threading.Event()
    budget_s = cfg.minutes * 60 if cfg.minutes is not None else None
    limit = min(x for x in (cfg.max_steps, cfg.epochs and cfg.epochs * run.steps_per_epoch, 10**12) if x)
    progress = RunProgress(clock, run.step, limit, budget_s, PROGRESS_EVERY)
    t0 = last_ckpt = progress.t0
    sums, n_sum = {}, 0
    lead = run.rank == 0

    def event(kind: str, **extra) -> TrainEvent:
        elapsed, fraction, eta, ips = progress.stats(run.step, run.step_images)
        return TrainEvent(kind, run.step, run.step // run.steps_per_epoch, fraction, elapsed, eta, ips, **extra)

    what = {"gan": cfg.recipe, "vae": "VAE", "texture": "texture GAN"}[cfg.kind]
    pictures = dataset.report.images_used
    data = (f"{len(dataset):,} crops of {pictures} picture{'s' if pictures != 1 else ''}"
            if cfg.kind == "texture" else f"{len(dataset)} images")
    yield event("started", message=f"Training {cfg.preset} ({what}) on {data}, batch {run.batch}, "
                f"{run.precision_note}, {run.device}"
                + (f", {run.world} processes" if run.world > 1 else "") + ".")
    reason = "finished"
    try:
        while True:
            if run.step >= limit:
                reason = "finished"
                break
            # Every rank leaves at the same step: a stop (button, Ctrl-C) or an elapsed budget on any one
            # counts for all, else the others would wait forever in the next step's all-reduce.
            stopped, out_of_time = dist.any_rank_each(
                [stop.is_set(), budget_s is not None and clock() - t0 >= budget_s])
            if stopped or out_of_time:
                reason = "stopped" if stopped else "time budget reached"
                break
            losses = run._one_step(progress=progress.schedule(run.step))
            total = sum(losses.values())
            # One host sync per step: divergence is caught at once. The all-reduced gradient carries a
            # NaN from any rank's shard to every rank's weights, while the other ranks' losses (computed
            # before the update) may still be finite: so all ranks roll back if any rank's loss is bad.
            if dist.any_rank(not bool(torch.isfinite(total))):
                bad = run.step
                run._rollback()
                reason = f"diverged at step {bad} (the loss became NaN or infinite); kept the model from step {run.step}"
                break
            run.step += 1
            for k, v in losses.items():
                sums[k] = sums.get(k, 0.0) + v
            n_sum += 1
            if run.step % SNAPSHOT_EVERY == 0 and run._healthy():
                run.last_good = run._snapshot()
            if not lead:  # nothing below is a collective, so the other ranks go on to the next step's
                continue  # all-reduce and simply wait there while rank 0 previews or checkpoints
            if run.step % PROGRESS_EVERY == 0:
                yield event("progress", losses={k: float(v) / n_sum for k, v in sums.items()})
                sums, n_sum = {}, 0
            if run.step % cfg.preview_every == 0:
                yield event("preview", preview=run.preview())
            if cfg.checkpoint_minutes and clock() - last_ckpt >= cfg.checkpoint_minutes * 60:
                path = run._checkpoint(run.prior_seconds + clock() - t0)
                last_ckpt = clock()
                yield event("checkpoint", message=f"Saved checkpoint at step {run.step} ({path.name}).")
    except KeyboardInterrupt:
        reason = "interrupted"
    finally:
        # Runs on normal exit, Ctrl-C, and when the consumer abandons the generator: never lose work.
        if lead:
            seconds = run.prior_seconds + clock() - t0
            run._checkpoint(seconds)
            model_dir = run.export(seconds, reason, progress.stats(run.step, run.step_images)[3])
    if os.environ.get(RANK_STATE_ENV):
        run.dump_rank_state(os.environ[RANK_STATE_ENV])
    kind = ("diverged" if reason.startswith("diverged")
            else "finished" if reason in ("finished", "time budget reached") else "stopped")
    if lead:
        # a Stop click or the step limit needs no reason; "interrupted" and "time budget reached" do
        why = "" if reason in ("stopped", "finished") else f" ({reason})"
        message = {"finished": f"Finished{why} after {run.step} steps.",
                   "diverged": f"Training {reason}. Try a lower learning rate."}.get(
            kind, f"Stopped{why} after {run.step} steps; the model so far is saved.")
        yield event(kind, preview=run.exported_samples, message=message, model_dir=model_dir)


#!/usr/bin/python3
"""Builds test/fixtures/studiogan/: small BigGAN-family checkpoints saved exactly as PyTorch-StudioGAN saves them,
and the outputs StudioGAN's own model code computes from them.

Usage:  /usr/bin/python3 scripts/make_studiogan_fixtures.py STUDIOGAN_CHECKOUT [--out test/fixtures/studiogan]

STUDIOGAN_CHECKOUT is a checkout of the public POSTECH-CVLab/PyTorch-StudioGAN repository (nothing of it is copied
here). Its src/config.py turns each variant's yaml into StudioGAN's MODEL / MODULES objects, its
src/models/<backbone>.py builds G and D exactly as src/models/model.py does, src/utils/ema.py makes G_ema, and the
checkpoints are written as src/worker.py's save() writes them: torch.save({"state_dict": ..., "optimizer": ...}) to
model=G-best-weights-step=N.pth, model=D-...pth (with the run bookkeeping) and model=G_ema-...pth ({"state_dict"}).

StudioGAN modules the model files do not need at inference (training losses, augmentations, the big misc module
with its torchvision/scipy/seaborn imports) are replaced by empty stand-ins in sys.modules; misc keeps the two names
the models use (make_empty_object, dummy_context_mgr), as misc.py defines them.

Weights are random but realistic: orthogonal init (StudioGAN's), then biases, BN gains and attention sigma made
non-trivial, a few train-mode forwards to move BatchNorm running statistics and spectral-norm u / v, one Adam step so
the optimizer state is real, and G_ema as utils/ema.py's Ema updates it (parameters and buffers lerped, so its
spectral-norm u and v are no longer unit vectors, as in real StudioGAN EMA generators).

Run with Debian's interpreter (python3-torch 1.13): deterministic for a given torch build.
"""
import argparse
import copy
import importlib
import json
import os
import struct
import sys
import types

import numpy as np
import torch

STEP = 100  # the step number in the file names, as StudioGAN's save() writes it

# name → the yaml StudioGAN's Configurations reads; small 32-px models, 5 classes
VARIANTS = {
    "big_resnet": """DATA:
  name: "CIFAR10"
  img_size: 32
  num_classes: 5
MODEL:
  backbone: "big_resnet"
  g_cond_mtd: "cBN"
  d_cond_mtd: "PD"
  apply_g_sn: True
  apply_d_sn: True
  apply_attn: True
  attn_g_loc: [2]
  attn_d_loc: [1]
  z_dim: 32
  g_shared_dim: 16
  g_conv_dim: 4
  d_conv_dim: 4
  apply_g_ema: True
  g_ema_decay: 0.9999
  g_ema_start: 1000
LOSS:
  adv_loss: "hinge"
""",
    "big_resnet-noattn": """DATA:
  name: "CIFAR10"
  img_size: 32
  num_classes: 5
MODEL:
  backbone: "big_resnet"
  g_cond_mtd: "cBN"
  d_cond_mtd: "PD"
  apply_g_sn: True
  apply_d_sn: True
  apply_attn: False
  z_dim: 32
  g_shared_dim: 16
  g_conv_dim: 4
  d_conv_dim: 4
  apply_g_ema: False
LOSS:
  adv_loss: "hinge"
""",
    "big_resnet_deep_legacy": """DATA:
  name: "CIFAR10"
  img_size: 32
  num_classes: 5
MODEL:
  backbone: "big_resnet_deep_legacy"
  g_cond_mtd: "cBN"
  d_cond_mtd: "PD"
  apply_g_sn: True
  apply_d_sn: True
  apply_attn: True
  attn_g_loc: [2]
  attn_d_loc: [1]
  z_dim: 16
  g_shared_dim: 16
  g_conv_dim: 4
  d_conv_dim: 4
  g_depth: 2
  d_depth: 2
  apply_g_ema: True
  g_ema_decay: 0.9999
  g_ema_start: 1000
LOSS:
  adv_loss: "hinge"
""",
    "big_resnet_deep_legacy-noattn": """DATA:
  name: "CIFAR10"
  img_size: 32
  num_classes: 5
MODEL:
  backbone: "big_resnet_deep_legacy"
  g_cond_mtd: "cBN"
  d_cond_mtd: "PD"
  apply_g_sn: True
  apply_d_sn: True
  apply_attn: False
  z_dim: 16
  g_shared_dim: 16
  g_conv_dim: 4
  d_conv_dim: 4
  g_depth: 2
  d_depth: 2
  apply_g_ema: False
LOSS:
  adv_loss: "hinge"
""",
}


def stub_studiogan_modules():
    """Empty stand-ins for the StudioGAN modules that config.py and the models import but inference never uses."""
    misc = types.ModuleType("utils.misc")

    class make_empty_object(object):
        pass

    class dummy_context_mgr():
        def __enter__(self):
            return None

        def __exit__(self, exc_type, exc_value, traceback):
            return False

    misc.make_empty_object = make_empty_object
    misc.dummy_context_mgr = dummy_context_mgr
    sys.modules["utils.misc"] = misc
    for name in ["losses", "diffaug", "cr", "simclr_aug", "ada_aug"]:
        sys.modules["utils." + name] = types.ModuleType("utils." + name)


def build(cfgs):
    """G, D as src/models/model.py's load_generator_discriminator builds them for the non-StyleGAN backbones."""
    MODEL, DATA, MODULES = cfgs.MODEL, cfgs.DATA, cfgs.MODULES
    module = importlib.import_module("models." + MODEL.backbone)
    Gen = module.Generator(z_dim=MODEL.z_dim, g_shared_dim=MODEL.g_shared_dim, img_size=DATA.img_size,
                           g_conv_dim=MODEL.g_conv_dim, apply_attn=MODEL.apply_attn, attn_g_loc=MODEL.attn_g_loc,
                           g_cond_mtd=MODEL.g_cond_mtd, num_classes=DATA.num_classes, g_init=MODEL.g_init,
                           g_depth=MODEL.g_depth, mixed_precision=cfgs.RUN.mixed_precision, MODULES=MODULES,
                           MODEL=MODEL)
    Dis = module.Discriminator(img_size=DATA.img_size, d_conv_dim=MODEL.d_conv_dim, apply_d_sn=MODEL.apply_d_sn,
                               apply_attn=MODEL.apply_attn, attn_d_loc=MODEL.attn_d_loc, d_cond_mtd=MODEL.d_cond_mtd,
                               aux_cls_type=MODEL.aux_cls_type, d_embed_dim=MODEL.d_embed_dim,
                               num_classes=DATA.num_classes, normalize_d_embed=MODEL.normalize_d_embed,
                               d_init=MODEL.d_init, d_depth=MODEL.d_depth, mixed_precision=cfgs.RUN.mixed_precision,
                               MODULES=MODULES, MODEL=MODEL)
    return Gen, Dis


def enliven(net, generator):
    """Makes the weights StudioGAN's init leaves trivial carry information: biases, BN affine, attention sigma."""
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name.endswith(".bias") or name.endswith("bn4.weight"):
                p.copy_(0.1 * torch.randn(p.shape, generator=generator) + (1.0 if name.endswith("bn4.weight") else 0.0))
            elif name.endswith(".sigma"):
                p.fill_(0.7)


def perturb(net, generator, scale):
    with torch.no_grad():
        for p in net.parameters():
            p.add_(scale * torch.randn(p.shape, generator=generator))


def train_forwards(Gen, Dis, cfgs, generator, steps):
    """Train-mode forwards: BatchNorm running statistics move, spectral-norm u / v take power steps."""
    n, z_dim = 8, cfgs.MODEL.z_dim
    Gen.train()
    Dis.train()
    with torch.no_grad():
        for _ in range(steps):
            z = torch.randn(n, z_dim, generator=generator)
            y = torch.randint(0, cfgs.DATA.num_classes, (n,), generator=generator)
            Dis(Gen(z, y), y)


def adam(net, forward, lr, step):
    """StudioGAN's Adam (beta1 0.5, as its configs), after one step where `step`: the optimizer state is then real
    (two moments per parameter). Without the step its state is empty, which keeps the other fixtures small."""
    opt = torch.optim.Adam(net.parameters(), lr=lr, betas=(0.5, 0.999), eps=1e-6)
    if step:
        opt.zero_grad()
        forward().backward()
        opt.step()
    return opt


def write_safetensors(path, tensors):
    """Plain safetensors: 8-byte little-endian header length, JSON header, raw little-endian data."""
    dtypes = {torch.float32: "F32", torch.int64: "I64"}
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        data = t.numpy().tobytes()
        header[name] = {"dtype": dtypes[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def make_variant(name, yaml_text, out_dir, config_module, ema_module, seed, optimizer_step):
    directory = os.path.join(out_dir, name)
    os.makedirs(directory, exist_ok=True)
    cfg_path = os.path.join(directory, "config.yaml")
    with open(cfg_path, "w") as f:
        f.write(yaml_text)
    cfgs = config_module.Configurations(cfg_path)
    # main.py passes its command-line flags as RUN; mixed precision only autocasts training forwards (eval=False)
    cfgs.update_cfgs({"mixed_precision": False}, super="RUN")
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)

    Gen, Dis = build(cfgs)
    enliven(Gen, generator)
    enliven(Dis, generator)
    train_forwards(Gen, Dis, cfgs, generator, steps=3)
    # the EMA starts from a G with real statistics, as StudioGAN's does at g_ema_start
    with_ema = cfgs.MODEL.apply_g_ema
    if with_ema:
        Gen_ema = copy.deepcopy(Gen)
        ema = ema_module.Ema(source=Gen, target=Gen_ema, decay=0.5, start_iter=0)
    num_classes, z_dim = cfgs.DATA.num_classes, cfgs.MODEL.z_dim
    zt = torch.randn(8, z_dim, generator=generator)
    yt = torch.randint(0, num_classes, (8,), generator=generator)
    g_opt = adam(Gen, lambda: -Dis(Gen(zt, yt), yt)["adv_output"].mean(), 2e-4, optimizer_step)
    d_opt = adam(Dis, lambda: torch.relu(1.0 + Dis(Gen(zt, yt).detach(), yt)["adv_output"]).mean(), 2e-4, optimizer_step)
    perturb(Gen, generator, 0.02)
    train_forwards(Gen, Dis, cfgs, generator, steps=2)
    if with_ema:
        ema.update(iter=STEP)  # decay 0.5: G_ema sits halfway between its past and G

    # saved as src/worker.py's save(): G, D with the run bookkeeping, G_ema with its state dict only
    g_states = {"state_dict": Gen.state_dict(), "optimizer": g_opt.state_dict()}
    d_states = {
        "state_dict": Dis.state_dict(), "optimizer": d_opt.state_dict(), "seed": seed, "run_name": f"{name}-fixture",
        "step": STEP, "epoch": 1, "topk": "initialize", "aa_p": 0.0, "best_step": STEP,
        "best_fid": np.float64(123.25), "best_fid_ckpt": "./checkpoints/" + name,
        "lecam_emas": {"G_loss": 7777, "D_loss_real": 7777, "D_loss_fake": 7777, "D_real": 7777, "D_fake": 7777,
                       "decay": 0.9, "start_itr": 0},
    }
    torch.save(g_states, os.path.join(directory, f"model=G-best-weights-step={STEP}.pth"))
    torch.save(d_states, os.path.join(directory, f"model=D-best-weights-step={STEP}.pth"))
    if with_ema:
        path = os.path.join(directory, f"model=G_ema-best-weights-step={STEP}.pth")
        torch.save({"state_dict": Gen_ema.state_dict()}, path)

    # reference outputs in eval mode, as StudioGAN samples (eval=True)
    Gen.eval()
    Dis.eval()
    with torch.no_grad():
        z = torch.randn(3, z_dim, generator=generator)
        labels = torch.tensor([0, 1, num_classes - 1], dtype=torch.int64)
        reference = {"z": z, "labels": labels, "G.image_nchw": Gen(z, labels, eval=True)}
        if with_ema:
            Gen_ema.eval()
            reference["G_ema.image_nchw"] = Gen_ema(z, labels, eval=True)
        x_real = torch.rand(3, 3, cfgs.DATA.img_size, cfgs.DATA.img_size, generator=generator) * 2 - 1
        reference["x_real_nchw"] = x_real
        reference["D.fake"] = Dis(reference["G.image_nchw"], labels, eval=True)["adv_output"]
        reference["D.real"] = Dis(x_real, labels, eval=True)["adv_output"]
    write_safetensors(os.path.join(directory, "reference.safetensors"), reference)
    # the same forwards in float64: how far float32 itself is from exact, which bounds any fair parity test
    with torch.no_grad():
        drift = [float((Gen.double()(z.double(), labels, eval=True) - reference["G.image_nchw"]).abs().max())]
        if with_ema:
            drift.append(float((Gen_ema.double()(z.double(), labels, eval=True) - reference["G_ema.image_nchw"]).abs().max()))
        drift.append(float((Dis.double()(x_real.double(), labels, eval=True)["adv_output"] - reference["D.real"]).abs().max()))
    if max(drift) > 1e-5:
        sys.exit(f"{name}: float32 drifts {max(drift):.2e} from float64; the weights are too ill-conditioned for a 1e-4 parity test")
    count = lambda net: sum(p.numel() for p in net.parameters())
    print(f"{name}: G {count(Gen):,} parameters, D {count(Dis):,}; float32 vs float64 max abs {max(drift):.2e}",
          file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("studiogan", help="a checkout of POSTECH-CVLab/PyTorch-StudioGAN")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "studiogan"))
    args = parser.parse_args()
    src = os.path.join(os.path.abspath(args.studiogan), "src")
    if not os.path.isfile(os.path.join(src, "models", "big_resnet.py")):
        sys.exit(f"{args.studiogan} is not a PyTorch-StudioGAN checkout: {src}/models/big_resnet.py is missing")
    sys.path.insert(0, src)
    stub_studiogan_modules()
    config_module = importlib.import_module("config")
    ema_module = importlib.import_module("utils.ema")
    torch.set_num_threads(1)
    for i, (name, yaml_text) in enumerate(VARIANTS.items()):
        make_variant(name, yaml_text, args.out, config_module, ema_module, seed=1000 + i, optimizer_step=i == 0)


if __name__ == "__main__":
    main()

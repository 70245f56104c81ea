#!/usr/bin/python3
"""Writes deliberately broken TorchScript modules for the Java error-path tests.

    /usr/bin/python3 tools/export/make_broken_modules.py

vton-core/src/test/resources/broken/nan_vae_decoder.pt has the VAE decoder's signature
(latent[B,4,h,w] -> image[B,3,8h,8w]) but returns NaN everywhere, as an overflowing float16 decoder
would. Deterministic; a few KiB.

vton-core/src/test/resources/broken/throwing_unet.pt has the UNet's signature (sample[N,9,2h,w],
timestep[N] -> noise[N,4,2h,w]) but raises for timesteps in [400, 600): a 15-step run fails in the
middle (at timestep 595), while a 3-step run (667, 334, 1) never meets it, so tests can show a
failing request and then the same worker serving the next one.
"""
import os

import torch
import torch.nn.functional as F

from catvton_artifact import strip_debug_info

OUT = os.path.join("vton-core", "src", "test", "resources", "broken")


class NanDecoder(torch.nn.Module):
    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        image = F.interpolate(latent[:, 0:3], scale_factor=8.0, mode="nearest")
        return image * float("nan")


class ThrowingUNet(torch.nn.Module):
    def forward(self, sample: torch.Tensor, timestep: torch.Tensor) -> torch.Tensor:
        t = int(timestep[0])
        if t >= 400 and t < 600:
            raise RuntimeError("injected UNet failure at timestep " + str(t))
        return torch.zeros_like(sample[:, 0:4])


def main():
    os.makedirs(OUT, exist_ok=True)
    traced = torch.jit.trace(NanDecoder().eval(), torch.zeros(1, 4, 64, 48))
    path = os.path.join(OUT, "nan_vae_decoder.pt")
    torch.jit.save(traced, path)
    strip_debug_info(path)
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")

    scripted = torch.jit.script(ThrowingUNet().eval())
    path = os.path.join(OUT, "throwing_unet.pt")
    torch.jit.save(scripted, path)
    strip_debug_info(path)
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()

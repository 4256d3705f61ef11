"""Region ops of two-stage detectors: roi_align and roi_pool, from a [C, H, W] feature map to [R, C, h, w] for a
(possibly symbolic) number R of regions per image (Fast/Faster/Mask R-CNN's box and mask heads)."""

from __future__ import annotations

from .. import num
from .base import (POOLING, WHOLE, Attr, Layer, NoParams, REQUIRED, numel, per_axis, register, spatial_input,
                   torch_modules)


class _RegionPool(NoParams, Layer):
    attributes = {
        "regions": Attr("size", REQUIRED, doc="regions per image, R (a symbol such as R is fine)"),
        "output": Attr("spatial", 7, doc="bins per region: an int or [h, w]"),
        "spatial_scale": Attr("number", 1, doc="feature-map pixels per image pixel (1/16 for a stride-16 map)"),
    }

    def geometry(self, a, ins):
        c, sizes = spatial_input(ins, self.type, minimum=2)
        return c, per_axis(a.output, len(sizes), "output")

    def shape(self, a, ins):
        c, bins = self.geometry(a, ins)
        return (a.regions, c, *bins)

    def receptive_field(self, a, ins, fields):
        return WHOLE  # a region may lie anywhere in the image

    def torch(self, a, ins, out):
        c, bins = self.geometry(a, ins)
        return torch_modules().RegionPool(self.type, bins, a.regions, float(a.spatial_scale),
                                          a.get("sampling_ratio", 1))


@register
class RoIAlign(_RegionPool):
    type = "roi_align"
    summary = ("RoIAlign (Mask R-CNN): [C, H, W] -> [R, C, h, w], bilinear sampling of `sampling_ratio`^2 points "
               "per bin")
    attributes = {**_RegionPool.attributes,
                  "sampling_ratio": Attr("size", 2, doc="sampling points per bin along each axis (torchvision's "
                                                        "MultiScaleRoIAlign uses 2)")}

    def ops(self, a, ins, out):
        # Each sampling point interpolates 4 neighbours; a bin averages sampling_ratio^2 points.
        return {POOLING: num.normalize(numel(out) * a.sampling_ratio ** 2 * 4)}


@register
class RoIPool(_RegionPool):
    type = "roi_pool"
    summary = "RoI max pooling (Fast R-CNN): [C, H, W] -> [R, C, h, w]; one op per output (bin sizes vary by box)"

    def ops(self, a, ins, out):
        return {POOLING: numel(out)}

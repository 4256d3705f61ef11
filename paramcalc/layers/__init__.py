"""The registry of layer types: one class per type, holding its shape, parameter, operation and receptive-field rules.

Adding a layer type = one class in the module of its family, decorated with ``@register``, plus its tests.
"""

from . import activation, conv, linear, merge, norm, pool, structural  # noqa: F401  (they register themselves)
from . import opaque  # noqa: F401  (an importer's explicitly unknown operation)
from . import attention, embedding, region, shape, tensor  # noqa: F401  (transformer-era types)
from .base import (CATEGORIES, MAC_CATEGORIES, REGISTRY, REQUIRED, Attr, Attrs, AxisField, Field, Layer, WHOLE,
                   canonical, read_attr)

__all__ = ["CATEGORIES", "MAC_CATEGORIES", "REGISTRY", "REQUIRED", "Attr", "Attrs", "AxisField", "Field", "Layer",
           "WHOLE", "canonical", "read_attr"]

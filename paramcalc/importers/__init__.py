"""Importers: a PyTorch module or an ONNX file turned into a readable paramcalc YAML file, and proven equal to it.

One module per source format, each a mapping table kept as data (source op -> layer type + attribute translation):
``torch_fx`` (torch.fx symbolic tracing) and ``onnx_graph``. ``model`` holds the format-free description both
produce, ``emit`` writes it as YAML with blocks and repeats, ``proof`` checks the written file against the source,
``targets`` lets every command take ``MODULE:CALLABLE`` and ``.onnx`` targets. Nothing here is imported by the core.
"""

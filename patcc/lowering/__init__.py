"""Lowering from the `nn` graph level to loop level (scf / memref / arith / vector).

`context.py` holds the emitting toolbox (`LoweringContext`), `registry.py` the op -> lowering
table the `lower-to-loops` pass consults, and one module per op family (conv, activation,
binary, pool, tensor_ops, linear, rnn, mirroring `dialects/nn/`) the lowerings themselves.
"""

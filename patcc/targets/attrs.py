"""Attribute names the target passes write and the C printers read (state lives in the IR)."""

LAYER_ATTR = "nn.layer"  # on top-level ops: which layer they serve (lower-to-loops)
NAME_ATTR = "nn.name"
OUTPUT_ATTR = "nn.output"
WORKSPACE_ATTR = "nn.workspace"  # function argument: the activation arena (plan-buffers)
WORKSPACE_BYTES_ATTR = "patcc.workspace_bytes"  # on the function (plan-buffers)
UNPLANNED_BYTES_ATTR = "patcc.unplanned_activation_bytes"  # one buffer per tensor, summed
BLOB_OFFSET_ATTR = "patcc.blob_offset"  # on each constant memref.global (layout-weights)
WEIGHTS_BYTES_ATTR = "patcc.weights_bytes"  # on the module (layout-weights)
PARALLEL_ATTR = "patcc.parallel"  # on an scf.for: iterations run in parallel (parallelize)
CYCLIC = "cyclic"  # PARALLEL_ATTR's value when threads take the iterations round robin
THREADS_ATTR = "patcc.threads"  # on the module: default thread count (parallelize)
BLOB_ALIGNMENT = 64
GLOBAL_DIM_ATTR = "ocl.global_dim"  # on an scf.for: OpenCL NDRange dimension (map-to-ndrange)

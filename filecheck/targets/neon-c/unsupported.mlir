// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8},plan-buffers,layout-weights" -t neon-c --verify-diagnostics | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4}" -t neon-c --verify-diagnostics | filecheck %s --check-prefix=UNPLANNED

// NEON has no vector<8xf32>: the printer names the op and the type instead of guessing;
// and it prints only what the target passes decided (no plan: an error naming the pass).

builtin.module {
  func.func @layer(%x: tensor<1x2x4x10xf32> {nn.name = "input"}) -> (tensor<1x3x4x10xf32> {nn.name = "output"}) {
    %w = arith.constant dense<0.5> : tensor<3x2x3x3xf32>
    %y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x10xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x4x10xf32>
    func.return %y : tensor<1x3x4x10xf32>
  }
}

// CHECK: neon-c: 'vector.broadcast': vector<8xf32> is not supported (this target has vector<4xf32>)
// UNPLANNED: neon-c: 'memref.alloc' left in the module: run plan-buffers first

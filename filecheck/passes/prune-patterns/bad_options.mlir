// RUN: xdsl-opt %s --verify-diagnostics -p "prune-patterns{num-patterns=57}" | filecheck %s --check-prefix=K
// RUN: xdsl-opt %s --verify-diagnostics -p "prune-patterns,prune-connectivity{rate=0.5}" | filecheck %s --check-prefix=RATE
// RUN: xdsl-opt %s --verify-diagnostics -p "prune-patterns{block=0}" | filecheck %s --check-prefix=BLOCK
// RUN: xdsl-opt %s --verify-diagnostics -p "prune-patterns,prune-connectivity{block=0}" | filecheck %s --check-prefix=BLOCK

// Invalid pass options are reported as one diagnostic naming the option and the rule.
builtin.module {
  func.func @f(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
    %w = arith.constant dense<1.0> : tensor<8x8x3x3xf32>
    %y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x8x4x4xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x4x4xf32>
    func.return %y : tensor<1x8x4x4xf32>
  }
}

// K: patterns: K must be in 1..56, got 57
// RATE: connectivity: the rate must be a number >= 1, got 0.5
// BLOCK: block: block must be an integer >= 1, got 0

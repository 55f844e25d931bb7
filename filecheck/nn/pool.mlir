// RUN: xdsl-opt %s | filecheck %s
// RUN: xdsl-opt %s --print-op-generic | xdsl-opt | filecheck %s

builtin.module {
  func.func @pool(%x: tensor<1x4x7x7xf32>) -> (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>, tensor<1x4x1x1xf32>, tensor<1x4x1x1xf32>) {
    // ceil_mode resolved at import: one extra row and column of end padding.
    %m = nn.max_pool %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x4x7x7xf32>) -> tensor<1x4x4x4xf32>
    %a = nn.avg_pool %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 1, 1>, dilations = array<i64: 1, 1>, count_include_pad = 1 : i64, ceil_pads = array<i64: 1, 1>} : (tensor<1x4x7x7xf32>) -> tensor<1x4x4x4xf32>
    %g = nn.global_avg_pool %x : (tensor<1x4x7x7xf32>) -> tensor<1x4x1x1xf32>
    %h = nn.global_max_pool %x : (tensor<1x4x7x7xf32>) -> tensor<1x4x1x1xf32>
    func.return %m, %a, %g, %h : tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>, tensor<1x4x1x1xf32>, tensor<1x4x1x1xf32>
  }
}

// CHECK:      %m = nn.max_pool %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x4x7x7xf32>) -> tensor<1x4x4x4xf32>
// CHECK-NEXT: %a = nn.avg_pool %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 1, 1>, dilations = array<i64: 1, 1>, count_include_pad = 1 : i64, ceil_pads = array<i64: 1, 1>} : (tensor<1x4x7x7xf32>) -> tensor<1x4x4x4xf32>
// CHECK-NEXT: %g = nn.global_avg_pool %x : (tensor<1x4x7x7xf32>) -> tensor<1x4x1x1xf32>
// CHECK-NEXT: %h = nn.global_max_pool %x : (tensor<1x4x7x7xf32>) -> tensor<1x4x1x1xf32>

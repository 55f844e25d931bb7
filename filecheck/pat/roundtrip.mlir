// RUN: xdsl-opt %s | filecheck %s
// RUN: xdsl-opt %s --print-op-generic | xdsl-opt | filecheck %s

// Positions of a 3x3 kernel, row-major (centre = 4):  0 1 2 / 3 4 5 / 6 7 8.
// ids[o, c] picks the pattern of kernel (o, c), -1 = removed; values hold the 4 kept weights.

builtin.module {
  func.func @pat(%x: tensor<1x2x8x8xf32>, %b: tensor<3xf32>) -> (tensor<1x3x8x8xf32>, tensor<1x3x4x4xf32>) {
    %v = arith.constant dense<[[[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0, 0.0]], [[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]], [[0.5, 0.5, 0.5, 0.5], [0.0, 0.0, 0.0, 0.0]]]> : tensor<3x2x4xf32>
    %y = pat.conv2d %x, %v, %b {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5], [4, 5, 7, 8]>, ids = dense<[[0, -1], [1, 2], [2, -1]]> : tensor<3x2xi8>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, activation = "relu"} : (tensor<1x2x8x8xf32>, tensor<3x2x4xf32>, tensor<3xf32>) -> tensor<1x3x8x8xf32>
    %z = pat.conv2d %x, %v {patterns = #pat.patterns<[1, 3, 4, 5]>, ids = dense<0> : tensor<3x2xi8>, strides = array<i64: 2, 2>, pads = array<i64: 2, 2, 2, 2>, dilations = array<i64: 2, 2>} : (tensor<1x2x8x8xf32>, tensor<3x2x4xf32>) -> tensor<1x3x4x4xf32>
    func.return %y, %z : tensor<1x3x8x8xf32>, tensor<1x3x4x4xf32>
  }
}

// CHECK:      %y = pat.conv2d %x, %v, %b {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5], [4, 5, 7, 8]>, ids = dense<{{\[}}[0, -1], [1, 2], [2, -1]]> : tensor<3x2xi8>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, activation = "relu"} : (tensor<1x2x8x8xf32>, tensor<3x2x4xf32>, tensor<3xf32>) -> tensor<1x3x8x8xf32>
// CHECK-NEXT: %z = pat.conv2d %x, %v {patterns = #pat.patterns<[1, 3, 4, 5]>, ids = dense<0> : tensor<3x2xi8>, strides = array<i64: 2, 2>, pads = array<i64: 2, 2, 2, 2>, dilations = array<i64: 2, 2>} : (tensor<1x2x8x8xf32>, tensor<3x2x4xf32>) -> tensor<1x3x4x4xf32>

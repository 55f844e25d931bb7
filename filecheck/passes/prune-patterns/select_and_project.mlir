// RUN: xdsl-opt %s --split-input-file -p "prune-patterns{num-patterns=2},dce" | filecheck %s
//
// Kernels (o, c) hold the value (o+1)*(c+1) on pattern A = [1,3,4,5] (c even) or
// B = [4,5,7,8] (c odd), plus noise 0.01 at position 0. A wins 6 votes, B 4: the set is
// {A, B} in candidate order, ids alternate 0/1 and the values are the 4 kept weights.

builtin.module {
  func.func @layer(%x: tensor<1x5x6x6xf32>) -> tensor<1x2x6x6xf32> {
    %w = arith.constant dense<[[[[0.01, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]], [[0.01, 0.0, 0.0], [0.0, 2.0, 2.0], [0.0, 2.0, 2.0]], [[0.01, 3.0, 0.0], [3.0, 3.0, 3.0], [0.0, 0.0, 0.0]], [[0.01, 0.0, 0.0], [0.0, 4.0, 4.0], [0.0, 4.0, 4.0]], [[0.01, 5.0, 0.0], [5.0, 5.0, 5.0], [0.0, 0.0, 0.0]]], [[[0.01, 2.0, 0.0], [2.0, 2.0, 2.0], [0.0, 0.0, 0.0]], [[0.01, 0.0, 0.0], [0.0, 4.0, 4.0], [0.0, 4.0, 4.0]], [[0.01, 6.0, 0.0], [6.0, 6.0, 6.0], [0.0, 0.0, 0.0]], [[0.01, 0.0, 0.0], [0.0, 8.0, 8.0], [0.0, 8.0, 8.0]], [[0.01, 10.0, 0.0], [10.0, 10.0, 10.0], [0.0, 0.0, 0.0]]]]> : tensor<2x5x3x3xf32>
    %y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x5x6x6xf32>, tensor<2x5x3x3xf32>) -> tensor<1x2x6x6xf32>
    func.return %y : tensor<1x2x6x6xf32>
  }
}

// CHECK:      %[[V:.*]] = arith.constant dense<{{\[\[\[}}1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00], [2.000000e+00, {{.*}}]]]> : tensor<2x5x4xf32>
// CHECK-NEXT: %y = pat.conv2d %x, %[[V]] {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, patterns = #pat.patterns<[1, 3, 4, 5], [4, 5, 7, 8]>, ids = dense<{{\[\[}}0, 1, 0, 1, 0], [0, 1, 0, 1, 0]]> : tensor<2x5xi8>} : (tensor<1x5x6x6xf32>, tensor<2x5x4xf32>) -> tensor<1x2x6x6xf32>
// CHECK-NEXT: func.return %y

// -----

// A first layer (<= 4 input channels) and a 1x1 conv stay dense and say why.
builtin.module {
  func.func @first(%x: tensor<1x3x6x6xf32>) -> tensor<1x2x6x6xf32> {
    %w = arith.constant dense<1.0> : tensor<2x3x3x3xf32>
    %y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x6x6xf32>, tensor<2x3x3x3xf32>) -> tensor<1x2x6x6xf32>
    %p = arith.constant dense<1.0> : tensor<2x2x1x1xf32>
    %z = nn.conv2d %y, %p {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x6x6xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x6x6xf32>
    func.return %z : tensor<1x2x6x6xf32>
  }
}

// CHECK:      %y = nn.conv2d %x, %w {pat.skip = "first layer (3 input channels) stays dense by default", strides
// CHECK:      %z = nn.conv2d %y, %p {pat.skip = "1x1 kernel (patterns are 3x3)", strides

// RUN: xdsl-opt %s -p "prune-patterns{num-patterns=2},prune-connectivity{rate=2.0},dce" | filecheck %s
//
// Same layer as prune-patterns/select_and_project.mlir: 10 kernels, rate 2 keeps round(10/2) = 5,
// those of largest L2 norm (scale (o+1)*(c+1)): 10, 8, 6, 5 and, of the two 4s, the lower
// flat index (o=0, c=3). Removed kernels get id -1 and zero values.

builtin.module {
  func.func @layer(%x: tensor<1x5x6x6xf32>) -> tensor<1x2x6x6xf32> {
    %w = arith.constant dense<[[[[0.01, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]], [[0.01, 0.0, 0.0], [0.0, 2.0, 2.0], [0.0, 2.0, 2.0]], [[0.01, 3.0, 0.0], [3.0, 3.0, 3.0], [0.0, 0.0, 0.0]], [[0.01, 0.0, 0.0], [0.0, 4.0, 4.0], [0.0, 4.0, 4.0]], [[0.01, 5.0, 0.0], [5.0, 5.0, 5.0], [0.0, 0.0, 0.0]]], [[[0.01, 2.0, 0.0], [2.0, 2.0, 2.0], [0.0, 0.0, 0.0]], [[0.01, 0.0, 0.0], [0.0, 4.0, 4.0], [0.0, 4.0, 4.0]], [[0.01, 6.0, 0.0], [6.0, 6.0, 6.0], [0.0, 0.0, 0.0]], [[0.01, 0.0, 0.0], [0.0, 8.0, 8.0], [0.0, 8.0, 8.0]], [[0.01, 10.0, 0.0], [10.0, 10.0, 10.0], [0.0, 0.0, 0.0]]]]> : tensor<2x5x3x3xf32>
    %y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x5x6x6xf32>, tensor<2x5x3x3xf32>) -> tensor<1x2x6x6xf32>
    func.return %y : tensor<1x2x6x6xf32>
  }
}

// CHECK:      arith.constant dense<{{\[\[\[}}0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [4.000000e+00, {{.*}}
// CHECK:      pat.conv2d {{.*}} ids = dense<{{\[\[}}-1, -1, -1, 1, 0], [-1, -1, 0, 1, 0]]> : tensor<2x5xi8>

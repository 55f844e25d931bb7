// RUN: xdsl-opt %s -p dense-conv-as-patterns | filecheck %s
//
// A dense 3x3 kernel 1..9 (positions 0..8, centre 4 = 5.0) as three patterns over the input
// repeated three times: [0, 1, 2, 4] takes 1, 2, 3 and the centre 5; [3, 4, 5, 6] takes 4, 6,
// 7 (its centre slot is 0); [4, 6, 7, 8] takes 8, 9 (0 at the centre and at position 6).
// Kernel (o, r*C + c) uses pattern r; bias, window and the relu after it are kept. A 1x1 conv
// is not a 3x3 one and stays dense.
builtin.module {
  func.func @f(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
    %w = arith.constant dense<[[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]]> : tensor<1x1x3x3xf32>
    %b = arith.constant dense<[0.5]> : tensor<1xf32>
    %c = nn.conv2d %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<1x1x3x3xf32>, tensor<1xf32>) -> tensor<1x1x4x4xf32>
    %y = nn.relu %c : (tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
    func.return %y : tensor<1x1x4x4xf32>
  }
  func.func @g(%x: tensor<1x2x4x4xf32>, %w: tensor<1x2x1x1xf32>) -> tensor<1x1x4x4xf32> {
    %c = nn.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x1x4x4xf32>
    func.return %c : tensor<1x1x4x4xf32>
  }
}

// CHECK:      %[[V:.*]] = arith.constant dense<{{\[\[\[}}1.000000e+00, 2.000000e+00, 3.000000e+00, 5.000000e+00], [4.000000e+00, 0.000000e+00, 6.000000e+00, 7.000000e+00], [0.000000e+00, 0.000000e+00, 8.000000e+00, 9.000000e+00]]]> : tensor<1x3x4xf32>
// CHECK-NEXT: %[[X3:.*]] = nn.concat %x, %x, %x {axis = 1 : i64} : {{.*}} -> tensor<1x3x4x4xf32>
// CHECK-NEXT: %[[C:.*]] = pat.conv2d %[[X3]], %[[V]], %b {patterns = #pat.patterns<[0, 1, 2, 4], [3, 4, 5, 6], [4, 6, 7, 8]>, ids = dense<{{\[\[}}0, 1, 2]]> : tensor<1x3xi8>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>}
// CHECK-NEXT: %y = nn.relu %[[C]]
// CHECK-NOT:  tensor<1x1x3x3xf32>
// CHECK:      func.func @g
// CHECK-NEXT: %c = nn.conv2d %x, %w

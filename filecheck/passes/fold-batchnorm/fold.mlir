// RUN: xdsl-opt %s -p fold-batchnorm,dce | filecheck %s

// Conv (2 filters, 1x1, weight 1 and 2, bias 1 and -1), then BN with scale 2/4,
// shift 0.5/1, mean 1/0, var 3/15, epsilon 1: factor = scale / sqrt(var + eps) = 1, 1.
// Folded: weight 1/2, bias (1 - 1) * 1 + 0.5 = 0.5 and (-1 - 0) * 1 + 1 = 0.
builtin.module {
  func.func @f(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
    %w = arith.constant dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
    %b = arith.constant dense<[1.0, -1.0]> : tensor<2xf32>
    %scale = arith.constant dense<[2.0, 4.0]> : tensor<2xf32>
    %shift = arith.constant dense<[0.5, 1.0]> : tensor<2xf32>
    %mean = arith.constant dense<[1.0, 0.0]> : tensor<2xf32>
    %var = arith.constant dense<[3.0, 15.0]> : tensor<2xf32>
    %c = nn.conv2d %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
    %y = nn.batch_norm %c, %scale, %shift, %mean, %var {epsilon = 1.000000e+00 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
    func.return %y : tensor<1x2x4x4xf32>
  }
}

// CHECK:      func.func @f(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
// CHECK-NEXT:   %{{.*}} = arith.constant dense<{{\[\[\[\[}}1.000000e+00]]], {{\[\[\[}}2.000000e+00]]]]> : tensor<2x1x1x1xf32>
// CHECK-NEXT:   %{{.*}} = arith.constant dense<[5.000000e-01, 0.000000e+00]> : tensor<2xf32>
// CHECK-NEXT:   %{{.*}} = nn.conv2d %x, %{{.*}}, %{{.*}} {{.*}} -> tensor<1x2x4x4xf32>
// CHECK-NEXT:   func.return
// CHECK-NOT:  nn.batch_norm

// A conv whose result has another user keeps its batch norm.
builtin.module {
  func.func @g(%x: tensor<1x1x4x4xf32>, %w: tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32> {
    %p = arith.constant dense<[1.0, 1.0]> : tensor<2xf32>
    %c = nn.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
    %y = nn.batch_norm %c, %p, %p, %p, %p {epsilon = 1.000000e+00 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
    func.return %y : tensor<1x2x4x4xf32>
  }
}
// CHECK-LABEL: func.func @g
// CHECK: nn.batch_norm

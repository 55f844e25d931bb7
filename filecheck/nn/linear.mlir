// RUN: xdsl-opt %s | filecheck %s
// RUN: xdsl-opt %s --print-op-generic | xdsl-opt | filecheck %s

builtin.module {
  func.func @linear(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>, %b: tensor<4xf32>, %t: tensor<3x2x5xf32>, %m: tensor<5xf32>, %f: tensor<1x4x6x6xf32>, %p: tensor<4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<3x2xf32>, tensor<3x2x5xf32>, tensor<3x2x5xf32>, tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) {
    %g = nn.gemm %x, %w, %b {alpha = 1.000000e+00 : f32, beta = 1.000000e+00 : f32, trans_a = 0 : i64, trans_b = 1 : i64} : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    %h = nn.gemm %x, %w {alpha = 5.000000e-01 : f32, beta = 0.000000e+00 : f32, trans_a = 0 : i64, trans_b = 1 : i64} : (tensor<2x8xf32>, tensor<4x8xf32>) -> tensor<2x4xf32>
    %v = nn.matmul %t, %m : (tensor<3x2x5xf32>, tensor<5xf32>) -> tensor<3x2xf32>
    %s = nn.softmax %t {axes = array<i64: 2>} : (tensor<3x2x5xf32>) -> tensor<3x2x5xf32>
    %l = nn.log_softmax %t {axes = array<i64: 1, 2>} : (tensor<3x2x5xf32>) -> tensor<3x2x5xf32>
    %n = nn.lrn %f {size = 5 : i64, alpha = 1.000000e-04 : f32, beta = 7.500000e-01 : f32, bias = 1.000000e+00 : f32} : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
    %k = nn.batch_norm %f, %p, %p, %p, %p {epsilon = 1.000000e-05 : f32} : (tensor<1x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32>
    func.return %g, %h, %v, %s, %l, %n, %k : tensor<2x4xf32>, tensor<2x4xf32>, tensor<3x2xf32>, tensor<3x2x5xf32>, tensor<3x2x5xf32>, tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>
  }
}

// CHECK:      %g = nn.gemm %x, %w, %b {alpha = 1.000000e+00 : f32, beta = 1.000000e+00 : f32, trans_a = 0 : i64, trans_b = 1 : i64} : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
// CHECK-NEXT: %h = nn.gemm %x, %w {alpha = 5.000000e-01 : f32, beta = 0.000000e+00 : f32, trans_a = 0 : i64, trans_b = 1 : i64} : (tensor<2x8xf32>, tensor<4x8xf32>) -> tensor<2x4xf32>
// CHECK-NEXT: %v = nn.matmul %t, %m : (tensor<3x2x5xf32>, tensor<5xf32>) -> tensor<3x2xf32>
// CHECK-NEXT: %s = nn.softmax %t {axes = array<i64: 2>} : (tensor<3x2x5xf32>) -> tensor<3x2x5xf32>
// CHECK-NEXT: %l = nn.log_softmax %t {axes = array<i64: 1, 2>} : (tensor<3x2x5xf32>) -> tensor<3x2x5xf32>
// CHECK-NEXT: %n = nn.lrn %f {size = 5 : i64, alpha = 1.000000e-04 : f32, beta = 7.500000e-01 : f32, bias = 1.000000e+00 : f32} : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
// CHECK-NEXT: %k = nn.batch_norm %f, %p, %p, %p, %p {epsilon = 1.000000e-05 : f32} : (tensor<1x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32>

// RUN: xdsl-opt %s -p "skip-zero-inputs" | filecheck %s
// RUN: xdsl-opt %s -p "skip-zero-inputs{block=16 group=4}" | filecheck %s --check-prefix=GROUP
//
// A 1x3 row times a 3 -> 2 weight (transB, torch's Linear): the weight becomes K-major in
// one block of 16 outputs, w[0, k, j] = W[j, k] (columns 2..15 padding), and the gemm a
// gemv that skips its zero inputs, 8 at a time by default. The 2-row gemm is left alone
// (a zero of one row is not a zero of the other); so is the one with an infinite weight
// (its second value is +inf, 0x7F800000: 0 * inf is nan, not 0).
builtin.module {
  func.func @f(%x: tensor<1x3xf32>, %x2: tensor<2x3xf32>) -> (tensor<1x2xf32>, tensor<2x2xf32>, tensor<1x2xf32>) {
    %w = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
    %inf = arith.constant dense<"0x0000803F0000807F00004040000080400000A0400000C040"> : tensor<2x3xf32>
    %b = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
    %g = nn.gemm %x, %w, %b {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = 0 : i64, trans_b = 1 : i64} : (tensor<1x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<1x2xf32>
    %y = nn.relu %g : (tensor<1x2xf32>) -> tensor<1x2xf32>
    %g2 = nn.gemm %x2, %w, %b {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = 0 : i64, trans_b = 1 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<2x2xf32>
    %g3 = nn.gemm %x, %inf, %b {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = 0 : i64, trans_b = 1 : i64} : (tensor<1x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<1x2xf32>
    func.return %y, %g2, %g3 : tensor<1x2xf32>, tensor<2x2xf32>, tensor<1x2xf32>
  }
}

// CHECK:      %w_blocked = arith.constant dense<{{\[\[\[}}1.000000e+00, 4.000000e+00, 0.000000e+00, {{.*}}], [2.000000e+00, 5.000000e+00, 0.000000e+00, {{.*}}], [3.000000e+00, 6.000000e+00, 0.000000e+00, {{.*}}]]]> : tensor<1x3x16xf32>
// CHECK-NEXT: %g = nn.gemv_skip_zeros %x, %w_blocked, %b {beta = 1.000000e+00 : f32, n = 2 : i64, group = 8 : i64} : (tensor<1x3xf32>, tensor<1x3x16xf32>, tensor<2xf32>) -> tensor<1x2xf32>
// CHECK-NEXT: %y = nn.relu %g
// CHECK-NEXT: %g2 = nn.gemm %x2, %w, %b
// CHECK-NEXT: %g3 = nn.gemm %x, %inf, %b

// GROUP: nn.gemv_skip_zeros %x, %w_blocked, %b {beta = 1.000000e+00 : f32, n = 2 : i64, group = 4 : i64}

// RUN: xdsl-opt %s -p "split-k-gemm{min-slice=2 skip-min-bytes=0}" | filecheck %s
//
// With an inf among the weights, 0 * inf is nan, not 0: the partial products are split as
// usual but do not skip zero inputs (no skip_zero_lhs).
builtin.module {
  func.func @f(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
    %w = arith.constant dense<[[1.0, 2.0], [0x7F800000, 4.0], [5.0, 6.0], [7.0, 8.0]]> : tensor<4x2xf32>
    %b = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
    %g = nn.gemm %x, %w, %b {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = 0 : i64, trans_b = 0 : i64} : (tensor<1x4xf32>, tensor<4x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
    func.return %g : tensor<1x2xf32>
  }
}

// CHECK:     nn.matmul %{{.*}}, %{{.*}} : (tensor<2x1x2xf32>, tensor<2x2x2xf32>) -> tensor<2x1x2xf32>
// CHECK-NOT: skip_zero_lhs

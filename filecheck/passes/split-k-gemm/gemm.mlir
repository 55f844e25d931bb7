// RUN: xdsl-opt %s -p "split-k-gemm{min-slice=2 skip-min-bytes=0}" | filecheck %s
// RUN: xdsl-opt %s -p "split-k-gemm{min-slice=2}" | filecheck %s --check-prefix=SMALL
// RUN: xdsl-opt %s -p "split-k-gemm{min-slice=4}" | filecheck %s --check-prefix=WHOLE
//
// A 1x6 row times a 6 -> 2 weight (transB, torch's Linear) in slices of at least 2: K = 6
// splits into S = 3 slices of 2. The weight becomes K-major, w[s, k, n] = W[n, 2s + k]
// (neighbouring outputs n read neighbouring floats), the partial products are a batched
// matmul that skips zero inputs (the weights are finite and, with skip-min-bytes=0, large
// enough; by default only weights of 32 MiB and more skip), and their sum a gemm with a
// ones row that keeps the bias and the relu after it.
// With slices of at least 4 (K = 6 has no divisor S > 1 with K / S >= 4) nothing changes.
builtin.module {
  func.func @f(%x: tensor<1x6xf32>) -> tensor<1x2xf32> {
    %w = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [7.0, 8.0, 9.0, 10.0, 11.0, 12.0]]> : tensor<2x6xf32>
    %b = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
    %g = nn.gemm %x, %w, %b {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = 0 : i64, trans_b = 1 : i64} : (tensor<1x6xf32>, tensor<2x6xf32>, tensor<2xf32>) -> tensor<1x2xf32>
    %y = nn.relu %g : (tensor<1x2xf32>) -> tensor<1x2xf32>
    func.return %y : tensor<1x2xf32>
  }
}

// CHECK:      %[[W:.*]] = arith.constant dense<{{\[\[\[}}1.000000e+00, 7.000000e+00], [2.000000e+00, 8.000000e+00]], {{\[\[}}3.000000e+00, 9.000000e+00], [4.000000e+00, 1.000000e+01]], {{\[\[}}5.000000e+00, 1.100000e+01], [6.000000e+00, 1.200000e+01]]]> : tensor<3x2x2xf32>
// CHECK-NEXT: %[[ONES:.*]] = arith.constant dense<1.000000e+00> : tensor<1x3xf32>
// CHECK-NEXT: %[[X:.*]] = nn.reshape %x {shape = array<i64: 3, 1, 2>}
// CHECK-NEXT: %[[P:.*]] = nn.matmul %[[X]], %[[W]] {skip_zero_lhs = 1 : i64} : (tensor<3x1x2xf32>, tensor<3x2x2xf32>) -> tensor<3x1x2xf32>
// CHECK-NEXT: %[[R:.*]] = nn.reshape %[[P]] {shape = array<i64: 3, 2>}
// CHECK-NEXT: %[[G:.*]] = nn.gemm %[[ONES]], %[[R]], %b {{.*}}trans_b = 0 : i64}
// CHECK-NEXT: %y = nn.relu %[[G]]
// CHECK-NOT:  tensor<2x6xf32>

// SMALL:     nn.matmul %{{.*}}, %{{.*}} : (tensor<3x1x2xf32>, tensor<3x2x2xf32>) -> tensor<3x1x2xf32>
// SMALL-NOT: skip_zero_lhs

// WHOLE:     %g = nn.gemm %x, %w, %b {{.*}}trans_b = 1 : i64}
// WHOLE-NOT: nn.matmul

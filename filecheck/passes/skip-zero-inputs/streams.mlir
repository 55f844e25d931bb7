// RUN: xdsl-opt %s -p "skip-zero-inputs{streams=4}" | filecheck %s
// RUN: xdsl-opt %s -p "skip-zero-inputs{streams=3}" | filecheck %s --check-prefix=THREE
// RUN: xdsl-opt %s -p "skip-zero-inputs" | filecheck %s --check-prefix=ONE
//
// A 1x3 row times a 3 -> 64 weight: 4 blocks of 16 outputs (MIN_BLOCKS where the outputs
// allow). With streams=4 all four go in lockstep; 3 does not divide 4, so the layer takes
// 2 (the largest divisor up to 3); one stream (the default) writes no property at all.
builtin.module {
  func.func @f(%x: tensor<1x3xf32>) -> tensor<1x64xf32> {
    %w = arith.constant dense<0.5> : tensor<64x3xf32>
    %g = nn.gemm %x, %w {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = 0 : i64, trans_b = 1 : i64} : (tensor<1x3xf32>, tensor<64x3xf32>) -> tensor<1x64xf32>
    func.return %g : tensor<1x64xf32>
  }
}

// CHECK: %g = nn.gemv_skip_zeros %x, %w_blocked {beta = 1.000000e+00 : f32, n = 64 : i64, group = 8 : i64, streams = 4 : i64} : (tensor<1x3xf32>, tensor<4x3x16xf32>) -> tensor<1x64xf32>
// THREE: nn.gemv_skip_zeros %x, %w_blocked {beta = 1.000000e+00 : f32, n = 64 : i64, group = 8 : i64, streams = 2 : i64}
// ONE: nn.gemv_skip_zeros %x, %w_blocked {beta = 1.000000e+00 : f32, n = 64 : i64, group = 8 : i64} :

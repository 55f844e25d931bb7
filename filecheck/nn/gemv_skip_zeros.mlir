// RUN: xdsl-opt %s | filecheck %s
// RUN: xdsl-opt %s --print-op-generic | xdsl-opt | filecheck %s

// What skip-zero-inputs makes of a one-row gemm: 3 inputs -> 20 outputs, its weights in 2
// blocks of 16 outputs (K-major within a block, 12 columns of padding), the zero inputs
// skipped 8 at a time; the second reads its 2 blocks in lockstep (streams).
builtin.module {
  func.func @gemv(%x: tensor<1x3xf32>, %w: tensor<2x3x16xf32>, %b: tensor<20xf32>) -> tensor<1x20xf32> {
    %g = nn.gemv_skip_zeros %x, %w, %b {beta = 1.000000e+00 : f32, n = 20 : i64, group = 8 : i64} : (tensor<1x3xf32>, tensor<2x3x16xf32>, tensor<20xf32>) -> tensor<1x20xf32>
    %h = nn.gemv_skip_zeros %x, %w, %b {beta = 1.000000e+00 : f32, n = 20 : i64, group = 1 : i64, streams = 2 : i64} : (tensor<1x3xf32>, tensor<2x3x16xf32>, tensor<20xf32>) -> tensor<1x20xf32>
    func.return %g : tensor<1x20xf32>
  }
}

// CHECK: %g = nn.gemv_skip_zeros %x, %w, %b {beta = 1.000000e+00 : f32, n = 20 : i64, group = 8 : i64} : (tensor<1x3xf32>, tensor<2x3x16xf32>, tensor<20xf32>) -> tensor<1x20xf32>
// CHECK: %h = nn.gemv_skip_zeros %x, %w, %b {beta = 1.000000e+00 : f32, n = 20 : i64, group = 1 : i64, streams = 2 : i64} : (tensor<1x3xf32>, tensor<2x3x16xf32>, tensor<20xf32>) -> tensor<1x20xf32>

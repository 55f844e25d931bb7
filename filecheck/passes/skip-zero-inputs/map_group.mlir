// RUN: xdsl-opt %s -p "skip-zero-inputs{map-group=1}" | filecheck %s
// RUN: xdsl-opt %s -p "skip-zero-inputs" | filecheck %s --check-prefix=SAME
//
// A classifier layer behind a flattened 1x2x2x2 feature map (a dead channel is a run of
// 2 x 2 zeros) takes map-group; one behind another classifier layer's row keeps group. A
// map of one pixel a channel (1x8x1x1) has no runs to skip: group too. Without map-group
// (0) every layer takes group.
builtin.module {
  func.func @f(%x: tensor<1x2x2x2xf32>, %p: tensor<1x8x1x1xf32>) -> (tensor<1x16xf32>, tensor<1x16xf32>, tensor<1x16xf32>) {
    %flat = nn.reshape %x {shape = array<i64: 1, 8>} : (tensor<1x2x2x2xf32>) -> tensor<1x8xf32>
    %w = arith.constant dense<0.5> : tensor<16x8xf32>
    %fc1 = nn.gemm %flat, %w {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = 0 : i64, trans_b = 1 : i64} : (tensor<1x8xf32>, tensor<16x8xf32>) -> tensor<1x16xf32>
    %v = arith.constant dense<0.25> : tensor<16x16xf32>
    %fc2 = nn.gemm %fc1, %v {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = 0 : i64, trans_b = 1 : i64} : (tensor<1x16xf32>, tensor<16x16xf32>) -> tensor<1x16xf32>
    %pixel = nn.reshape %p {shape = array<i64: 1, 8>} : (tensor<1x8x1x1xf32>) -> tensor<1x8xf32>
    %u = arith.constant dense<0.125> : tensor<16x8xf32>
    %fc3 = nn.gemm %pixel, %u {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = 0 : i64, trans_b = 1 : i64} : (tensor<1x8xf32>, tensor<16x8xf32>) -> tensor<1x16xf32>
    func.return %fc1, %fc2, %fc3 : tensor<1x16xf32>, tensor<1x16xf32>, tensor<1x16xf32>
  }
}

// CHECK:      %fc1 = nn.gemv_skip_zeros %flat, %w_blocked {{{.*}}group = 1 : i64{{.*}}}
// CHECK:      %fc2 = nn.gemv_skip_zeros %fc1, %v_blocked {{{.*}}group = 8 : i64{{.*}}}
// CHECK:      %fc3 = nn.gemv_skip_zeros %pixel, %u_blocked {{{.*}}group = 8 : i64{{.*}}}

// SAME:      %fc1 = nn.gemv_skip_zeros %flat, %w_blocked {{{.*}}group = 8 : i64{{.*}}}
// SAME:      %fc2 = nn.gemv_skip_zeros %fc1, %v_blocked {{{.*}}group = 8 : i64{{.*}}}
// SAME:      %fc3 = nn.gemv_skip_zeros %pixel, %u_blocked {{{.*}}group = 8 : i64{{.*}}}

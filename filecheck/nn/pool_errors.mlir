// RUN: xdsl-opt %s --split-input-file --verify-diagnostics | filecheck %s

%x = "test.op"() : () -> tensor<1x4x8x8xf32>
%y = nn.max_pool %x {kernel = array<i64: 2, 2>, strides = array<i64: 0, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
// CHECK: 'nn.max_pool': strides must be 2 positive integers, got [0, 2]

// -----

%x = "test.op"() : () -> tensor<1x4x8x8xf32>
%y = nn.max_pool %x {kernel = array<i64: 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
// CHECK: 'nn.max_pool': kernel must be 2 positive integers, got [2]

// -----

%x = "test.op"() : () -> tensor<4x8x8xf32>
%y = nn.max_pool %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<4x8x8xf32>) -> tensor<4x4x4xf32>
// CHECK: 'nn.max_pool': input must be 4-D NCHW, got rank 3

// -----

%x = "test.op"() : () -> tensor<1x4x2x2xf32>
%y = nn.max_pool %x {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x4x2x2xf32>) -> tensor<1x4x1x1xf32>
// CHECK: 'nn.max_pool': the window does not fit: output size [0, 0] from input [2, 2]

// -----

%x = "test.op"() : () -> tensor<1x4x8x8xf32>
%y = nn.avg_pool %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, count_include_pad = 2 : i64} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
// CHECK: 'nn.avg_pool': count_include_pad must be 0 or 1, got 2

// -----

%x = "test.op"() : () -> tensor<1x4x8x8xf32>
%y = nn.avg_pool %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 1, 0>, dilations = array<i64: 1, 1>, count_include_pad = 1 : i64, ceil_pads = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
// CHECK: 'nn.avg_pool': ceil_pads must be 2 integers [bottom, right] between 0 and the end pads [1, 0], got [1, 1]

// -----

%x = "test.op"() : () -> tensor<1x4xf32>
%y = nn.global_avg_pool %x : (tensor<1x4xf32>) -> tensor<1x4xf32>
// CHECK: 'nn.global_avg_pool': input must be N x C x spatial (rank >= 3), got rank 2

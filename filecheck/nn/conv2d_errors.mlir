// RUN: xdsl-opt %s --split-input-file --verify-diagnostics | filecheck %s

%x = "test.op"() : () -> tensor<1x3x8x8xf32>
%w = "test.op"() : () -> tensor<4x3x3x3xf32>
%y = nn.conv2d %x, %w {strides = array<i64: 0, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
// CHECK: 'nn.conv2d': strides must be 2 positive integers, got [0, 1]

// -----

%x = "test.op"() : () -> tensor<1x3x8x8xf32>
%w = "test.op"() : () -> tensor<4x3x3x3xf32>
%y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x9x8xf32>
// CHECK: 'nn.conv2d': result shape 1x4x9x8 does not match the shape 1x4x8x8 implied by the operands 1x3x8x8, 4x3x3x3, - and properties

// -----

%x = "test.op"() : () -> tensor<1x4x8x8xf32>
%w = "test.op"() : () -> tensor<6x3x3x3xf32>
%y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 2 : i64} : (tensor<1x4x8x8xf32>, tensor<6x3x3x3xf32>) -> tensor<1x6x8x8xf32>
// CHECK: 'nn.conv2d': weight has 3 input channels per group, expected 4 / 2 = 2

// -----

%x = "test.op"() : () -> tensor<1x3x8x8xf32>
%w = "test.op"() : () -> tensor<4x3x3x3xf32>
%b = "test.op"() : () -> tensor<5xf32>
%y = nn.conv2d %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<5xf32>) -> tensor<1x4x8x8xf32>
// CHECK: 'nn.conv2d': bias must have shape 4, got 5

// -----

%x = "test.op"() : () -> tensor<1x3x8x8xf16>
%w = "test.op"() : () -> tensor<4x3x3x3xf32>
%y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf16>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
// CHECK: 'nn.conv2d': all operands and results must be f32 tensors, got tensor<1x3x8x8xf16>

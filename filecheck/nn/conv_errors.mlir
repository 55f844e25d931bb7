// RUN: xdsl-opt %s --split-input-file --verify-diagnostics | filecheck %s

%x = "test.op"() : () -> tensor<1x4x5x5xf32>
%w = "test.op"() : () -> tensor<3x3x3x3xf32>
%y = nn.conv_transpose %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 0, 0>, group = 1 : i64} : (tensor<1x4x5x5xf32>, tensor<3x3x3x3xf32>) -> tensor<1x3x7x7xf32>
// CHECK: 'nn.conv_transpose': weight has 3 input channels, the input has 4 (weight is C x O/g)

// -----

%x = "test.op"() : () -> tensor<1x4x5x5xf32>
%w = "test.op"() : () -> tensor<4x3x3x3xf32>
%y = nn.conv_transpose %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 0, 0>, group = 3 : i64} : (tensor<1x4x5x5xf32>, tensor<4x3x3x3xf32>) -> tensor<1x9x7x7xf32>
// CHECK: 'nn.conv_transpose': input channels 4 must be divisible by group 3

// -----

%x = "test.op"() : () -> tensor<1x4x5x5xf32>
%w = "test.op"() : () -> tensor<4x3x3x3xf32>
%y = nn.conv_transpose %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: -1, 0>, group = 1 : i64} : (tensor<1x4x5x5xf32>, tensor<4x3x3x3xf32>) -> tensor<1x3x10x11xf32>
// CHECK: 'nn.conv_transpose': output_padding must be 2 non-negative integers, got [-1, 0]

// -----

%x = "test.op"() : () -> tensor<1x4x1x1xf32>
%w = "test.op"() : () -> tensor<4x3x1x1xf32>
%y = nn.conv_transpose %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 0, 0>, group = 1 : i64} : (tensor<1x4x1x1xf32>, tensor<4x3x1x1xf32>) -> tensor<1x3x1x1xf32>
// CHECK: 'nn.conv_transpose': pads crop everything: output size [0, 1] from input [1, 1]

// -----

%x = "test.op"() : () -> tensor<1x4x5x5xf32>
%w = "test.op"() : () -> tensor<4x3x3x3xf32>
%b = "test.op"() : () -> tensor<4xf32>
%y = nn.conv_transpose %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 0, 0>, group = 1 : i64} : (tensor<1x4x5x5xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x3x7x7xf32>
// CHECK: 'nn.conv_transpose': bias must have shape 3, got 4

// -----

%x = "test.op"() : () -> tensor<1x4x5x5xf32>
%w = "test.op"() : () -> tensor<4x3x3x3xf32>
%y = nn.conv_transpose %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 0, 0>, group = 1 : i64} : (tensor<1x4x5x5xf32>, tensor<4x3x3x3xf32>) -> tensor<1x3x10x10xf32>
// CHECK: 'nn.conv_transpose': result shape 1x3x10x10 does not match the shape 1x3x11x11 implied by the operands 1x4x5x5, 4x3x3x3, - and properties

// RUN: xdsl-opt %s --split-input-file --verify-diagnostics | filecheck %s

// The schedule properties of pat.conv2d that reorder-filters writes, one broken rule a chunk.

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%v = "test.op"() : () -> tensor<3x2x4xf32>
%y = pat.conv2d %x, %v {patterns = #pat.patterns<[0, 1, 3, 4]>, ids = dense<0> : tensor<3x2xi8>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, filter_order = array<i64: 0, 2, 2>} : (tensor<1x2x8x8xf32>, tensor<3x2x4xf32>) -> tensor<1x3x8x8xf32>
// CHECK: 'pat.conv2d': filter_order must be a permutation of 0..2, got [0, 2, 2]

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%v = "test.op"() : () -> tensor<3x2x4xf32>
%y = pat.conv2d %x, %v {patterns = #pat.patterns<[0, 1, 3, 4]>, ids = dense<0> : tensor<3x2xi8>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, filter_order = array<i64: 1, 0>} : (tensor<1x2x8x8xf32>, tensor<3x2x4xf32>) -> tensor<1x3x8x8xf32>
// CHECK: 'pat.conv2d': filter_order must be a permutation of 0..2, got [1, 0]

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%v = "test.op"() : () -> tensor<3x2x4xf32>
%y = pat.conv2d %x, %v {patterns = #pat.patterns<[0, 1, 3, 4]>, ids = dense<0> : tensor<3x2xi8>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, filter_groups = array<i64: 1, 2>} : (tensor<1x2x8x8xf32>, tensor<3x2x4xf32>) -> tensor<1x3x8x8xf32>
// CHECK: 'pat.conv2d': filter_groups must start with 0, got [1, 2]

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%v = "test.op"() : () -> tensor<3x2x4xf32>
%y = pat.conv2d %x, %v {patterns = #pat.patterns<[0, 1, 3, 4]>, ids = dense<0> : tensor<3x2xi8>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, filter_groups = array<i64: 0, 2, 2>} : (tensor<1x2x8x8xf32>, tensor<3x2x4xf32>) -> tensor<1x3x8x8xf32>
// CHECK: 'pat.conv2d': filter_groups must be strictly ascending, got [0, 2, 2]

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%v = "test.op"() : () -> tensor<3x2x4xf32>
%y = pat.conv2d %x, %v {patterns = #pat.patterns<[0, 1, 3, 4]>, ids = dense<0> : tensor<3x2xi8>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, filter_groups = array<i64: 0, 3>} : (tensor<1x2x8x8xf32>, tensor<3x2x4xf32>) -> tensor<1x3x8x8xf32>
// CHECK: 'pat.conv2d': filter_groups must be within [0, 3) (O = 3), got 3

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%v = "test.op"() : () -> tensor<3x2x4xf32>
%y = pat.conv2d %x, %v {patterns = #pat.patterns<[0, 1, 3, 4]>, ids = dense<0> : tensor<3x2xi8>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, filter_groups = array<i64>} : (tensor<1x2x8x8xf32>, tensor<3x2x4xf32>) -> tensor<1x3x8x8xf32>
// CHECK: 'pat.conv2d': filter_groups must start with 0, got []

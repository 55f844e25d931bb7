// RUN: xdsl-opt %s --split-input-file --parsing-diagnostics --verify-diagnostics | filecheck %s

// Each rule of #pat.patterns (a parse error at the attribute) and of pat.conv2d (a verifier
// error), one case per chunk.

"test.op"() {patterns = #pat.patterns<[0, 1, 3]>} : () -> ()
// CHECK: #pat.patterns: pattern 0 [0, 1, 3]: a pattern must keep exactly 4 positions, got 3

// -----

"test.op"() {patterns = #pat.patterns<[0, 1, 3, 4, 5]>} : () -> ()
// CHECK: #pat.patterns: pattern 0 [0, 1, 3, 4, 5]: a pattern must keep exactly 4 positions, got 5

// -----

"test.op"() {patterns = #pat.patterns<[0, 1, 4, 9]>} : () -> ()
// CHECK: #pat.patterns: pattern 0 [0, 1, 4, 9]: positions must be in 0..8, got 9

// -----

"test.op"() {patterns = #pat.patterns<[-1, 1, 3, 4]>} : () -> ()
// CHECK: #pat.patterns: pattern 0 [-1, 1, 3, 4]: positions must be in 0..8, got -1

// -----

"test.op"() {patterns = #pat.patterns<[1, 3, 4, 5], [0, 1, 1, 4]>} : () -> ()
// CHECK: #pat.patterns: pattern 1 [0, 1, 1, 4]: positions must be distinct

// -----

"test.op"() {patterns = #pat.patterns<[0, 1, 2, 3]>} : () -> ()
// CHECK: #pat.patterns: pattern 0 [0, 1, 2, 3]: a pattern must keep the centre position 4

// -----

"test.op"() {patterns = #pat.patterns<[1, 0, 3, 4]>} : () -> ()
// CHECK: #pat.patterns: pattern 0 [1, 0, 3, 4]: positions must be in ascending order

// -----

"test.op"() {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5], [0, 1, 3, 4]>} : () -> ()
// CHECK: #pat.patterns: pattern 2 [0, 1, 3, 4]: duplicate of pattern 0

// -----

"test.op"() {patterns = #pat.patterns<>} : () -> ()
// CHECK: #pat.patterns: a pattern set must have 1 to 56 patterns, got 0

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%v = "test.op"() : () -> tensor<2x2x4xf32>
%y = pat.conv2d %x, %v {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, ids = dense<[[0, -1, 0], [1, 0, 0]]> : tensor<2x3xi8>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<2x2x4xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.conv2d': ids must have shape 2x2 (O x C), got 2x3

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%v = "test.op"() : () -> tensor<2x2x4xf32>
%y = pat.conv2d %x, %v {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, ids = dense<[[0, -1], [2, 0]]> : tensor<2x2xi8>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<2x2x4xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.conv2d': ids must be in [-1, 2) for 2 patterns, got 2 at [1, 0]

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%v = "test.op"() : () -> tensor<2x2x4xf32>
%y = pat.conv2d %x, %v {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, ids = dense<[[0, -2], [1, 0]]> : tensor<2x2xi8>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<2x2x4xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.conv2d': ids must be in [-1, 2) for 2 patterns, got -2 at [0, 1]

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%v = "test.op"() : () -> tensor<2x2x4xf32>
%y = pat.conv2d %x, %v {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, ids = dense<[[0, 1], [1, 0]]> : tensor<2x2xi32>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<2x2x4xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.conv2d': ids must have element type i8, got i32

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%v = "test.op"() : () -> tensor<2x2x9xf32>
%y = pat.conv2d %x, %v {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, ids = dense<[[0, -1], [1, 0]]> : tensor<2x2xi8>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<2x2x9xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.conv2d': values must be O x C x 4, got 2x2x9

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%v = "test.op"() : () -> tensor<2x3x4xf32>
%y = pat.conv2d %x, %v {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, ids = dense<0> : tensor<2x3xi8>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<2x3x4xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.conv2d': values have 3 input channels, the input has 2

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%v = arith.constant dense<[[[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.5, 0.0]], [[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]]> : tensor<2x2x4xf32>
%y = pat.conv2d %x, %v {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, ids = dense<[[0, -1], [1, 0]]> : tensor<2x2xi8>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<2x2x4xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.conv2d': values of a removed kernel (id -1) must be 0, kernel [0, 1] has non-zero values

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%v = "test.op"() : () -> tensor<2x2x4xf32>
%y = pat.conv2d %x, %v {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, ids = dense<[[0, -1], [1, 0]]> : tensor<2x2xi8>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, activation = "gelu"} : (tensor<1x2x8x8xf32>, tensor<2x2x4xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.conv2d': activation must be one of none, relu, relu6, got 'gelu'

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%v = "test.op"() : () -> tensor<2x2x4xf32>
%b = "test.op"() : () -> tensor<3xf32>
%y = pat.conv2d %x, %v, %b {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, ids = dense<[[0, -1], [1, 0]]> : tensor<2x2xi8>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<2x2x4xf32>, tensor<3xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.conv2d': bias must have shape 2, got 3

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%v = "test.op"() : () -> tensor<2x2x4xf32>
%y = pat.conv2d %x, %v {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, ids = dense<[[0, -1], [1, 0]]> : tensor<2x2xi8>, strides = array<i64: 0, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<2x2x4xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.conv2d': strides must be 2 positive integers, got [0, 1]

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%v = "test.op"() : () -> tensor<2x2x4xf32>
%y = pat.conv2d %x, %v {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, ids = dense<[[0, -1], [1, 0]]> : tensor<2x2xi8>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<2x2x4xf32>) -> tensor<1x2x9x8xf32>
// CHECK: 'pat.conv2d': result shape 1x2x9x8 does not match the shape 1x2x8x8 implied by the operands 1x2x8x8, 2x2x4, - and properties

// -----

%m = "test.op"() : () -> memref<1x2x6x10xf32>
%i = "test.op"() : () -> index
pat.prefetch %m[%i, %i] : memref<1x2x6x10xf32>
// CHECK: pat.prefetch: 2 indices for a memref of rank 4

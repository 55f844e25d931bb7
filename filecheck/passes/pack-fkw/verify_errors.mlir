// RUN: xdsl-opt %s --split-input-file --verify-diagnostics | filecheck %s

// Every rule of pat.fkw_conv2d, one broken rule a chunk: element types and shapes always,
// the content of the FKW arrays where they are constants. The valid layer (O = 2, C = 2,
// K = 2): filter 0 holds channel 0 (pattern 0) and channel 1 (pattern 1), filter 1 holds
// channel 1 (pattern 0): offset [0, 2, 3], reorder [0, 1], index [0, 1, 1],
// stride [[0, 1, 2], [0, 1, 1]]; each chunk changes one thing.

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%offset = "test.op"() : () -> tensor<3xi32>
%reorder = "test.op"() : () -> tensor<2xi32>
%index = "test.op"() : () -> tensor<3xi32>
%stride = "test.op"() : () -> tensor<2x3xi32>
%weight = "test.op"() : () -> tensor<3x4xi32>
%y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xi32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.fkw_conv2d': weight must be an f32 tensor, got tensor<3x4xi32>

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%offset = "test.op"() : () -> tensor<3xf32>
%reorder = "test.op"() : () -> tensor<2xi32>
%index = "test.op"() : () -> tensor<3xi32>
%stride = "test.op"() : () -> tensor<2x3xi32>
%weight = "test.op"() : () -> tensor<3x4xf32>
%y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<3xf32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.fkw_conv2d': offset must be an i32 tensor, got tensor<3xf32>

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%offset = "test.op"() : () -> tensor<3xi32>
%reorder = "test.op"() : () -> tensor<2xi32>
%index = "test.op"() : () -> tensor<3xi64>
%stride = "test.op"() : () -> tensor<2x3xi32>
%weight = "test.op"() : () -> tensor<3x4xf32>
%y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi64>, tensor<2x3xi32>, tensor<3x4xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.fkw_conv2d': index must be an i32 tensor, got tensor<3xi64>

// -----

%x = "test.op"() : () -> tensor<2x8x8xf32>
%offset = "test.op"() : () -> tensor<3xi32>
%reorder = "test.op"() : () -> tensor<2xi32>
%index = "test.op"() : () -> tensor<3xi32>
%stride = "test.op"() : () -> tensor<2x3xi32>
%weight = "test.op"() : () -> tensor<3x4xf32>
%y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<2x8x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.fkw_conv2d': input must be 4-D NCHW, got rank 3

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%offset = "test.op"() : () -> tensor<3xi32>
%reorder = "test.op"() : () -> tensor<2x1xi32>
%index = "test.op"() : () -> tensor<3xi32>
%stride = "test.op"() : () -> tensor<2x3xi32>
%weight = "test.op"() : () -> tensor<3x4xf32>
%y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<3xi32>, tensor<2x1xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.fkw_conv2d': reorder must be 1-D (O), got 2x1

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%offset = "test.op"() : () -> tensor<2xi32>
%reorder = "test.op"() : () -> tensor<2xi32>
%index = "test.op"() : () -> tensor<3xi32>
%stride = "test.op"() : () -> tensor<2x3xi32>
%weight = "test.op"() : () -> tensor<3x4xf32>
%y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<2xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.fkw_conv2d': offset must have O+1 = 3 entries, got 2

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%offset = "test.op"() : () -> tensor<3xi32>
%reorder = "test.op"() : () -> tensor<2xi32>
%index = "test.op"() : () -> tensor<3x1xi32>
%stride = "test.op"() : () -> tensor<2x3xi32>
%weight = "test.op"() : () -> tensor<3x4xf32>
%y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3x1xi32>, tensor<2x3xi32>, tensor<3x4xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.fkw_conv2d': index must be 1-D (kept kernels), got 3x1

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%offset = "test.op"() : () -> tensor<3xi32>
%reorder = "test.op"() : () -> tensor<2xi32>
%index = "test.op"() : () -> tensor<3xi32>
%stride = "test.op"() : () -> tensor<2x3xi32>
%weight = "test.op"() : () -> tensor<3x9xf32>
%y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x9xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.fkw_conv2d': weight must be 3x4 (kept kernels x 4), got 3x9

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%offset = "test.op"() : () -> tensor<3xi32>
%reorder = "test.op"() : () -> tensor<2xi32>
%index = "test.op"() : () -> tensor<3xi32>
%stride = "test.op"() : () -> tensor<2x4xi32>
%weight = "test.op"() : () -> tensor<3x4xf32>
%y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x4xi32>, tensor<3x4xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.fkw_conv2d': stride must be 2x3 (O x (K+1) for 2 patterns), got 2x4

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%offset = "test.op"() : () -> tensor<3xi32>
%reorder = "test.op"() : () -> tensor<2xi32>
%index = "test.op"() : () -> tensor<3xi32>
%stride = "test.op"() : () -> tensor<2x3xi32>
%weight = "test.op"() : () -> tensor<3x4xf32>
%b = "test.op"() : () -> tensor<3xf32>
%y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight, %b {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.fkw_conv2d': bias must have shape 2, got 3

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%offset = "test.op"() : () -> tensor<3xi32>
%reorder = "test.op"() : () -> tensor<2xi32>
%index = "test.op"() : () -> tensor<3xi32>
%stride = "test.op"() : () -> tensor<2x3xi32>
%weight = "test.op"() : () -> tensor<3x4xf32>
%y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, activation = "gelu"} : (tensor<1x2x8x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.fkw_conv2d': activation must be one of none, relu, relu6, got 'gelu'

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%offset = "test.op"() : () -> tensor<3xi32>
%reorder = "test.op"() : () -> tensor<2xi32>
%index = "test.op"() : () -> tensor<3xi32>
%stride = "test.op"() : () -> tensor<2x3xi32>
%weight = "test.op"() : () -> tensor<3x4xf32>
%y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, filter_groups = array<i64: 0, 0>} : (tensor<1x2x8x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.fkw_conv2d': filter_groups must be strictly ascending, got [0, 0]

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%offset = "test.op"() : () -> tensor<3xi32>
%reorder = "test.op"() : () -> tensor<2xi32>
%index = "test.op"() : () -> tensor<3xi32>
%stride = "test.op"() : () -> tensor<2x3xi32>
%weight = "test.op"() : () -> tensor<3x4xf32>
%y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, strides = array<i64: 0, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.fkw_conv2d': strides must be 2 positive integers, got [0, 1]

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%offset = "test.op"() : () -> tensor<3xi32>
%reorder = "test.op"() : () -> tensor<2xi32>
%index = "test.op"() : () -> tensor<3xi32>
%stride = "test.op"() : () -> tensor<2x3xi32>
%weight = "test.op"() : () -> tensor<3x4xf32>
%y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>) -> tensor<1x2x9x8xf32>
// CHECK: 'pat.fkw_conv2d': result shape 1x2x9x8 does not match the shape 1x2x8x8 implied by the operands 1x2x8x8, 3, 2, 3, 2x3, 3x4, - and properties

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%offset = arith.constant dense<[0, 2, 3]> : tensor<3xi32>
%reorder = arith.constant dense<[1, 1]> : tensor<2xi32>
%index = arith.constant dense<[0, 1, 1]> : tensor<3xi32>
%stride = arith.constant dense<[[0, 1, 2], [0, 1, 1]]> : tensor<2x3xi32>
%weight = "test.op"() : () -> tensor<3x4xf32>
%y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.fkw_conv2d': reorder must be a permutation of 0..1, got [1, 1]

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%offset = arith.constant dense<[1, 2, 3]> : tensor<3xi32>
%reorder = arith.constant dense<[0, 1]> : tensor<2xi32>
%index = arith.constant dense<[0, 1, 1]> : tensor<3xi32>
%stride = arith.constant dense<[[0, 1, 2], [0, 1, 1]]> : tensor<2x3xi32>
%weight = "test.op"() : () -> tensor<3x4xf32>
%y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.fkw_conv2d': offset must start at 0, got 1

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%offset = arith.constant dense<[0, -1, 3]> : tensor<3xi32>
%reorder = arith.constant dense<[0, 1]> : tensor<2xi32>
%index = arith.constant dense<[0, 1, 1]> : tensor<3xi32>
%stride = arith.constant dense<[[0, 1, 2], [0, 1, 1]]> : tensor<2x3xi32>
%weight = "test.op"() : () -> tensor<3x4xf32>
%y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.fkw_conv2d': offset must be non-decreasing, offset[0] = 0 > offset[1] = -1

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%offset = arith.constant dense<[0, 2, 2]> : tensor<3xi32>
%reorder = arith.constant dense<[0, 1]> : tensor<2xi32>
%index = arith.constant dense<[0, 1, 1]> : tensor<3xi32>
%stride = arith.constant dense<[[0, 1, 2], [0, 1, 1]]> : tensor<2x3xi32>
%weight = "test.op"() : () -> tensor<3x4xf32>
%y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.fkw_conv2d': offset must end at the number of kept kernels 3, got 2

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%offset = arith.constant dense<[0, 2, 3]> : tensor<3xi32>
%reorder = arith.constant dense<[0, 1]> : tensor<2xi32>
%index = arith.constant dense<[0, 1, 1]> : tensor<3xi32>
%stride = arith.constant dense<[[0, 1, 2], [1, 1, 1]]> : tensor<2x3xi32>
%weight = "test.op"() : () -> tensor<3x4xf32>
%y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.fkw_conv2d': stride of filter 1 must start at 0, got 1

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%offset = arith.constant dense<[0, 2, 3]> : tensor<3xi32>
%reorder = arith.constant dense<[0, 1]> : tensor<2xi32>
%index = arith.constant dense<[0, 1, 1]> : tensor<3xi32>
%stride = arith.constant dense<[[0, 2, 1], [0, 1, 1]]> : tensor<2x3xi32>
%weight = "test.op"() : () -> tensor<3x4xf32>
%y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.fkw_conv2d': stride must be non-decreasing within a filter, filter 0 has [0, 2, 1]

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%offset = arith.constant dense<[0, 2, 3]> : tensor<3xi32>
%reorder = arith.constant dense<[0, 1]> : tensor<2xi32>
%index = arith.constant dense<[0, 1, 1]> : tensor<3xi32>
%stride = arith.constant dense<[[0, 1, 1], [0, 1, 1]]> : tensor<2x3xi32>
%weight = "test.op"() : () -> tensor<3x4xf32>
%y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.fkw_conv2d': stride of filter 0 must end at its kernel count offset[1] - offset[0] = 2, got 1

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%offset = arith.constant dense<[0, 2, 3]> : tensor<3xi32>
%reorder = arith.constant dense<[0, 1]> : tensor<2xi32>
%index = arith.constant dense<[0, 2, 1]> : tensor<3xi32>
%stride = arith.constant dense<[[0, 1, 2], [0, 1, 1]]> : tensor<2x3xi32>
%weight = "test.op"() : () -> tensor<3x4xf32>
%y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.fkw_conv2d': index must be in [0, 2) (input channels), got 2 at 1

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%offset = arith.constant dense<[0, 2, 3]> : tensor<3xi32>
%reorder = arith.constant dense<[0, 1]> : tensor<2xi32>
%index = arith.constant dense<[1, 0, 1]> : tensor<3xi32>
%stride = arith.constant dense<[[0, 2, 2], [0, 1, 1]]> : tensor<2x3xi32>
%weight = "test.op"() : () -> tensor<3x4xf32>
%y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.fkw_conv2d': index must ascend within each pattern run, kernel 1 has channel 0 after 1

// -----

%x = "test.op"() : () -> tensor<1x2x8x8xf32>
%offset = arith.constant dense<[0, 2, 3]> : tensor<3xi32>
%reorder = arith.constant dense<[0, 1]> : tensor<2xi32>
%index = arith.constant dense<[1, 1, 1]> : tensor<3xi32>
%stride = arith.constant dense<[[0, 1, 2], [0, 1, 1]]> : tensor<2x3xi32>
%weight = "test.op"() : () -> tensor<3x4xf32>
%y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>) -> tensor<1x2x8x8xf32>
// CHECK: 'pat.fkw_conv2d': an input channel appears at most once per filter, filter 0 has channel 1 twice

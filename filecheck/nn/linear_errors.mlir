// RUN: xdsl-opt %s --split-input-file --verify-diagnostics | filecheck %s

%a = "test.op"() : () -> tensor<2x8xf32>
%b = "test.op"() : () -> tensor<4x8xf32>
%y = nn.gemm %a, %b {alpha = 1.000000e+00 : f32, beta = 1.000000e+00 : f32, trans_a = 0 : i64, trans_b = 0 : i64} : (tensor<2x8xf32>, tensor<4x8xf32>) -> tensor<2x8xf32>
// CHECK: 'nn.gemm': inner dimensions must agree: op(a) is 2x8, op(b) is 4x8

// -----

%a = "test.op"() : () -> tensor<2x8xf32>
%b = "test.op"() : () -> tensor<4x8xf32>
%c = "test.op"() : () -> tensor<2xf32>
%y = nn.gemm %a, %b, %c {alpha = 1.000000e+00 : f32, beta = 1.000000e+00 : f32, trans_a = 0 : i64, trans_b = 1 : i64} : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<2xf32>) -> tensor<2x4xf32>
// CHECK: 'nn.gemm': c shape 2 must broadcast to 2x4 (numpy rule, unidirectional: trailing dimensions equal or 1, rank not larger)

// -----

%a = "test.op"() : () -> tensor<2x8xf32>
%b = "test.op"() : () -> tensor<8x4xf32>
%y = nn.gemm %a, %b {alpha = 1.000000e+00 : f32, beta = 1.000000e+00 : f32, trans_a = 0 : i64, trans_b = 2 : i64} : (tensor<2x8xf32>, tensor<8x4xf32>) -> tensor<2x4xf32>
// CHECK: 'nn.gemm': trans_b must be 0 or 1, got 2

// -----

%a = "test.op"() : () -> tensor<2x4x3xf32>
%b = "test.op"() : () -> tensor<3x3x5xf32>
%y = nn.matmul %a, %b : (tensor<2x4x3xf32>, tensor<3x3x5xf32>) -> tensor<3x4x5xf32>
// CHECK: 'nn.matmul': batch dimensions 2 and 3 are not broadcastable (numpy rule: dimensions must be equal or 1, got 2 and 3 at axis -1)

// -----

%a = "test.op"() : () -> tensor<4x3xf32>
%b = "test.op"() : () -> tensor<4xf32>
%y = nn.matmul %a, %b : (tensor<4x3xf32>, tensor<4xf32>) -> tensor<4xf32>
// CHECK: 'nn.matmul': inner dimensions must agree: lhs 4x3 has 3 columns, rhs 4 has 4 rows

// -----

%a = "test.op"() : () -> tensor<2x1x3xf32>
%b = "test.op"() : () -> tensor<2x3x4xf32>
%y = nn.matmul %a, %b {skip_zero_lhs = 2 : i64} : (tensor<2x1x3xf32>, tensor<2x3x4xf32>) -> tensor<2x1x4xf32>
// CHECK: 'nn.matmul': skip_zero_lhs must be 0 or 1, got 2

// -----

%x = "test.op"() : () -> tensor<3x2x5xf32>
%y = nn.softmax %x {axes = array<i64: 0, 2>} : (tensor<3x2x5xf32>) -> tensor<3x2x5xf32>
// CHECK: 'nn.softmax': axes must be consecutive ascending axes in [0, 3), got [0, 2]

// -----

%x = "test.op"() : () -> tensor<1x4x6x6xf32>
%y = nn.lrn %x {size = 0 : i64, alpha = 1.000000e-04 : f32, beta = 7.500000e-01 : f32, bias = 1.000000e+00 : f32} : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
// CHECK: 'nn.lrn': size must be >= 1, got 0

// -----

%x = "test.op"() : () -> tensor<1x4x6x6xf32>
%p = "test.op"() : () -> tensor<4xf32>
%v = "test.op"() : () -> tensor<3xf32>
%y = nn.batch_norm %x, %p, %p, %p, %v {epsilon = 1.000000e-05 : f32} : (tensor<1x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<3xf32>) -> tensor<1x4x6x6xf32>
// CHECK: 'nn.batch_norm': var must have shape C = 4 (the input's axis 1), got 3

// -----

%x = "test.op"() : () -> tensor<2x3xf32>
%w = "test.op"() : () -> tensor<1x3x16xf32>
%y = nn.gemv_skip_zeros %x, %w {beta = 1.000000e+00 : f32, n = 2 : i64, group = 8 : i64} : (tensor<2x3xf32>, tensor<1x3x16xf32>) -> tensor<1x2xf32>
// CHECK: 'nn.gemv_skip_zeros': x must be one row (1 x K), got 2x3

// -----

%x = "test.op"() : () -> tensor<1x4xf32>
%w = "test.op"() : () -> tensor<1x3x16xf32>
%y = nn.gemv_skip_zeros %x, %w {beta = 1.000000e+00 : f32, n = 2 : i64, group = 8 : i64} : (tensor<1x4xf32>, tensor<1x3x16xf32>) -> tensor<1x2xf32>
// CHECK: 'nn.gemv_skip_zeros': w's K (3) must equal x's length (4)

// -----

%x = "test.op"() : () -> tensor<1x3xf32>
%w = "test.op"() : () -> tensor<2x3x16xf32>
%y = nn.gemv_skip_zeros %x, %w {beta = 1.000000e+00 : f32, n = 16 : i64, group = 8 : i64} : (tensor<1x3xf32>, tensor<2x3x16xf32>) -> tensor<1x16xf32>
// CHECK: 'nn.gemv_skip_zeros': n (16) must need all 2 blocks of 16 outputs

// -----

%x = "test.op"() : () -> tensor<1x3xf32>
%w = "test.op"() : () -> tensor<1x3x16xf32>
%y = nn.gemv_skip_zeros %x, %w {beta = 1.000000e+00 : f32, n = 2 : i64, group = 0 : i64} : (tensor<1x3xf32>, tensor<1x3x16xf32>) -> tensor<1x2xf32>
// CHECK: 'nn.gemv_skip_zeros': group must be >= 1, got 0

// -----

%x = "test.op"() : () -> tensor<1x3xf32>
%w = "test.op"() : () -> tensor<3x3x16xf32>
%y = nn.gemv_skip_zeros %x, %w {beta = 1.000000e+00 : f32, n = 40 : i64, group = 8 : i64, streams = 2 : i64} : (tensor<1x3xf32>, tensor<3x3x16xf32>) -> tensor<1x40xf32>
// CHECK: 'nn.gemv_skip_zeros': streams (2) must divide the 3 blocks

// RUN: xdsl-opt %s --split-input-file --verify-diagnostics | filecheck %s

%a = "test.op"() : () -> tensor<2x3xf32>
%b = "test.op"() : () -> tensor<4x3xf32>
%y = nn.add %a, %b : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
// CHECK: 'nn.add': operand shapes 2x3 and 4x3 are not broadcastable (numpy rule: dimensions must be equal or 1, got 2 and 4 at axis -2)

// -----

%a = "test.op"() : () -> tensor<2x1xf32>
%b = "test.op"() : () -> tensor<3xf32>
%y = nn.mul %a, %b : (tensor<2x1xf32>, tensor<3xf32>) -> tensor<2x1xf32>
// CHECK: 'nn.mul': result shape 2x1 does not match the shape 2x3 implied by the operands 2x1, 3 and properties

// -----

%a = "test.op"() : () -> tensor<2x3xf32>
%b = "test.op"() : () -> tensor<f32>
%y = nn.div %a, %b : (tensor<2x3xf32>, tensor<f32>) -> tensor<f32>
// CHECK: 'nn.div': result shape scalar does not match the shape 2x3 implied by the operands 2x3, scalar and properties

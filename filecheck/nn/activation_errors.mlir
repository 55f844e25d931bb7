// RUN: xdsl-opt %s --split-input-file --verify-diagnostics | filecheck %s

%x = "test.op"() : () -> tensor<1x4x8x8xf32>
%y = nn.relu %x : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x7xf32>
// CHECK: 'nn.relu': result shape 1x4x8x7 does not match the shape 1x4x8x8 implied by the operands 1x4x8x8 and properties

// -----

%x = "test.op"() : () -> tensor<1x4x8x8xf32>
%s = "test.op"() : () -> tensor<4xf32>
%y = nn.prelu %x, %s : (tensor<1x4x8x8xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
// CHECK: 'nn.prelu': slope shape 4 must broadcast to 1x4x8x8 (numpy rule, unidirectional: trailing dimensions equal or 1, rank not larger)

// -----

%x = "test.op"() : () -> tensor<1x4x8x8xf32>
%y = nn.leaky_relu %x : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
// CHECK: property 'alpha' expected in operation 'nn.leaky_relu'

// -----

%x = "test.op"() : () -> tensor<1x4x8x8xf32>
%y = nn.elu %x {alpha = 0x7F800000 : f32} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
// CHECK: 'nn.elu': alpha must be finite, got inf

// -----

%x = "test.op"() : () -> tensor<1x4x8x8xf16>
%y = nn.sigmoid %x : (tensor<1x4x8x8xf16>) -> tensor<1x4x8x8xf16>
// CHECK: 'nn.sigmoid': all operands and results must be f32 tensors, got tensor<1x4x8x8xf16>

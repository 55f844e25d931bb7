// RUN: xdsl-opt %s --split-input-file --verify-diagnostics | filecheck %s

%x = "test.op"() : () -> tensor<5x2x3xf32>
%w = "test.op"() : () -> tensor<1x16x3xf32>
%r = "test.op"() : () -> tensor<1x16x4xf32>
%y, %h, %c = nn.lstm %x, %w, %r {hidden_size = 4 : i64, direction = "bidirectional"} : (tensor<5x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>) -> (tensor<5x2x2x4xf32>, tensor<2x2x4xf32>, tensor<2x2x4xf32>)
// CHECK: 'nn.lstm': W must have shape 2x16x3 for 2 direction(s), hidden size 4 and X 5x2x3, got 1x16x3

// -----

%x = "test.op"() : () -> tensor<5x2x3xf32>
%w = "test.op"() : () -> tensor<1x16x3xf32>
%r = "test.op"() : () -> tensor<1x16x4xf32>
%h0 = "test.op"() : () -> tensor<1x3x4xf32>
%y, %h, %c = nn.lstm %x, %w, %r, initial_h %h0 {hidden_size = 4 : i64, direction = "forward"} : (tensor<5x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>, tensor<1x3x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
// CHECK: 'nn.lstm': initial_h must have shape 1x2x4 for 1 direction(s), hidden size 4 and X 5x2x3, got 1x3x4

// -----

%x = "test.op"() : () -> tensor<5x2x3xf32>
%w = "test.op"() : () -> tensor<1x16x3xf32>
%r = "test.op"() : () -> tensor<1x16x4xf32>
%y, %h, %c = nn.lstm %x, %w, %r {hidden_size = 4 : i64, direction = "sideways"} : (tensor<5x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
// CHECK: 'nn.lstm': direction must be one of forward, reverse, bidirectional, got 'sideways'

// -----

%x = "test.op"() : () -> tensor<5x2x3xf32>
%w = "test.op"() : () -> tensor<1x16x3xf32>
%r = "test.op"() : () -> tensor<1x16x4xf32>
%y, %h, %c = nn.lstm %x, %w, %r {hidden_size = 4 : i64, direction = "forward", clip = -1.0 : f32} : (tensor<5x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
// CHECK: 'nn.lstm': clip must be positive, got -1.0

// -----

%x = "test.op"() : () -> tensor<5x2x3xf32>
%w = "test.op"() : () -> tensor<1x16x3xf32>
%r = "test.op"() : () -> tensor<1x16x4xf32>
%y, %h, %c = nn.lstm %x, %w, %r {hidden_size = 4 : i64, direction = "forward"} : (tensor<5x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x1x4xf32>)
// CHECK: 'nn.lstm': result shape 5x1x2x4, 1x2x4, 1x1x4 does not match the shape 5x1x2x4, 1x2x4, 1x2x4 implied by the operands 5x2x3, 1x16x3, 1x16x4, -, -, -, - and properties

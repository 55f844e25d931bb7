// RUN: xdsl-opt %s --split-input-file --parsing-diagnostics | filecheck %s

%x = "test.op"() : () -> tensor<5x2x3xf32>
%w = "test.op"() : () -> tensor<1x16x3xf32>
%r = "test.op"() : () -> tensor<1x16x4xf32>
%b = "test.op"() : () -> tensor<1x32xf32>
%y, %h, %c = nn.lstm %x, %w, %r, initial_h %b, bias %b {hidden_size = 4 : i64, direction = "forward"} : (tensor<5x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>, tensor<1x32xf32>, tensor<1x32xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
// CHECK: 'bias' repeated or out of order (order: bias, initial_h, initial_c, peepholes)

// -----

%x = "test.op"() : () -> tensor<5x2x3xf32>
%w = "test.op"() : () -> tensor<1x16x3xf32>
%r = "test.op"() : () -> tensor<1x16x4xf32>
%b = "test.op"() : () -> tensor<1x32xf32>
%y, %h, %c = nn.lstm %x, %w, %r, %b {hidden_size = 4 : i64, direction = "forward"} : (tensor<5x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>, tensor<1x32xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
// CHECK: expected one of bias, initial_h, initial_c, peepholes

// RUN: xdsl-opt %s | filecheck %s
// RUN: xdsl-opt %s --print-op-generic | xdsl-opt | filecheck %s

builtin.module {
  func.func @lstm(%x: tensor<5x2x3xf32>, %w: tensor<2x16x3xf32>, %r: tensor<2x16x4xf32>, %b: tensor<2x32xf32>, %h0: tensor<2x2x4xf32>, %c0: tensor<2x2x4xf32>, %p: tensor<2x12xf32>, %w1: tensor<1x16x3xf32>, %r1: tensor<1x16x4xf32>, %c1: tensor<1x2x4xf32>) -> tensor<5x2x2x4xf32> {
    %y, %y_h, %y_c = nn.lstm %x, %w, %r, bias %b, initial_h %h0, initial_c %c0, peepholes %p {hidden_size = 4 : i64, direction = "bidirectional"} : (tensor<5x2x3xf32>, tensor<2x16x3xf32>, tensor<2x16x4xf32>, tensor<2x32xf32>, tensor<2x2x4xf32>, tensor<2x2x4xf32>, tensor<2x12xf32>) -> (tensor<5x2x2x4xf32>, tensor<2x2x4xf32>, tensor<2x2x4xf32>)
    %y1, %h1, %cc1 = nn.lstm %x, %w1, %r1, initial_c %c1 {hidden_size = 4 : i64, direction = "reverse", clip = 3.000000e+00 : f32, input_forget = 1 : i64} : (tensor<5x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>, tensor<1x2x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
    %y2, %h2, %c2 = nn.lstm %x, %w1, %r1 {hidden_size = 4 : i64, direction = "forward"} : (tensor<5x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
    func.return %y : tensor<5x2x2x4xf32>
  }
}

// CHECK:      %y, %y_h, %y_c = nn.lstm %x, %w, %r, bias %b, initial_h %h0, initial_c %c0, peepholes %p {hidden_size = 4 : i64, direction = "bidirectional"} : (tensor<5x2x3xf32>, tensor<2x16x3xf32>, tensor<2x16x4xf32>, tensor<2x32xf32>, tensor<2x2x4xf32>, tensor<2x2x4xf32>, tensor<2x12xf32>) -> (tensor<5x2x2x4xf32>, tensor<2x2x4xf32>, tensor<2x2x4xf32>)
// CHECK-NEXT: %y1, %h1, %cc1 = nn.lstm %x, %w1, %r1, initial_c %c1 {hidden_size = 4 : i64, direction = "reverse", clip = 3.000000e+00 : f32, input_forget = 1 : i64} : (tensor<5x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>, tensor<1x2x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
// CHECK-NEXT: %y2, %h2, %c2 = nn.lstm %x, %w1, %r1 {hidden_size = 4 : i64, direction = "forward"} : (tensor<5x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)

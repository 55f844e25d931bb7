// RUN: xdsl-opt %s | filecheck %s
// RUN: xdsl-opt %s --print-op-generic | xdsl-opt | filecheck %s

builtin.module {
  func.func @bin(%x: tensor<2x3x4xf32>, %v: tensor<4xf32>, %c: tensor<3x1xf32>, %s: tensor<f32>) -> tensor<2x3x4xf32> {
    %a = nn.add %x, %v : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
    %b = nn.sub %c, %a : (tensor<3x1xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
    %m = nn.mul %b, %s : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3x4xf32>
    %d = nn.div %m, %x : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
    %hi = nn.max %d, %c : (tensor<2x3x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xf32>
    %lo = nn.min %hi, %v : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
    func.return %lo : tensor<2x3x4xf32>
  }
}

// CHECK:      %a = nn.add %x, %v : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
// CHECK-NEXT: %b = nn.sub %c, %a : (tensor<3x1xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
// CHECK-NEXT: %m = nn.mul %b, %s : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3x4xf32>
// CHECK-NEXT: %d = nn.div %m, %x : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
// CHECK-NEXT: %hi = nn.max %d, %c : (tensor<2x3x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xf32>
// CHECK-NEXT: %lo = nn.min %hi, %v : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>

// RUN: xdsl-opt %s -p fuse-silu | filecheck %s

builtin.module {
  func.func @f(%x: tensor<1x4x8x8xf32>, %z: tensor<1x4x8x8xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) {
    // Both operand orders fuse.
    %s = nn.sigmoid %x : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
    %a = nn.mul %x, %s : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
    %t = nn.sigmoid %z : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
    %b = nn.mul %t, %z : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
    // x * sigmoid(z) is not silu.
    %u = nn.sigmoid %z : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
    %c = nn.mul %x, %u : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
    func.return %a, %b, %c : tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>
  }
}

// CHECK:      %a = nn.silu %x : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
// CHECK-NEXT: %b = nn.silu %z : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
// CHECK-NEXT: %u = nn.sigmoid %z
// CHECK-NEXT: %c = nn.mul %x, %u

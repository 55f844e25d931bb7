// RUN: xdsl-opt %s | filecheck %s
// RUN: xdsl-opt %s --print-op-generic | xdsl-opt | filecheck %s

builtin.module {
  func.func @act(%x: tensor<1x4x8x8xf32>, %s: tensor<4x1x1xf32>) -> (tensor<1x4x8x8xf32>) {
    %a = nn.relu %x : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
    %b = nn.leaky_relu %a {alpha = 1.000000e-01 : f32} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
    %c = nn.prelu %b, %s : (tensor<1x4x8x8xf32>, tensor<4x1x1xf32>) -> tensor<1x4x8x8xf32>
    %d = nn.clip %c {min = 0.000000e+00 : f32, max = 6.000000e+00 : f32} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
    %e = nn.clip %d {max = 6.000000e+00 : f32} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
    %f = nn.sigmoid %e : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
    %g = nn.tanh %f : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
    %h = nn.hard_sigmoid %g {alpha = 2.000000e-01 : f32, beta = 5.000000e-01 : f32} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
    %i = nn.hard_swish %h : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
    %j = nn.silu %i : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
    %k = nn.elu %j {alpha = 1.000000e+00 : f32} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
    %l = nn.softplus %k : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
    func.return %l : tensor<1x4x8x8xf32>
  }
}

// CHECK:      %a = nn.relu %x : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
// CHECK-NEXT: %b = nn.leaky_relu %a {alpha = 1.000000e-01 : f32} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
// CHECK-NEXT: %c = nn.prelu %b, %s : (tensor<1x4x8x8xf32>, tensor<4x1x1xf32>) -> tensor<1x4x8x8xf32>
// CHECK-NEXT: %d = nn.clip %c {min = 0.000000e+00 : f32, max = 6.000000e+00 : f32} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
// CHECK-NEXT: %e = nn.clip %d {max = 6.000000e+00 : f32} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
// CHECK-NEXT: %f = nn.sigmoid %e : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
// CHECK-NEXT: %g = nn.tanh %f : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
// CHECK-NEXT: %h = nn.hard_sigmoid %g {alpha = 2.000000e-01 : f32, beta = 5.000000e-01 : f32} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
// CHECK-NEXT: %i = nn.hard_swish %h : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
// CHECK-NEXT: %j = nn.silu %i : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
// CHECK-NEXT: %k = nn.elu %j {alpha = 1.000000e+00 : f32} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
// CHECK-NEXT: %l = nn.softplus %k : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>

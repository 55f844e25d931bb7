// RUN: xdsl-opt %s | filecheck %s
// RUN: xdsl-opt %s --print-op-generic | xdsl-opt | filecheck %s

builtin.module {
  func.func @tensor_ops(%x: tensor<1x2x4x6xf32>, %z: tensor<1x3x4x6xf32>) -> tensor<1x5x4x6xf32> {
    %cat = nn.concat %x, %z {axis = 1 : i64} : (tensor<1x2x4x6xf32>, tensor<1x3x4x6xf32>) -> tensor<1x5x4x6xf32>
    %sl = nn.slice %x {starts = array<i64: 5, 0>, ends = array<i64: -7, 3>, axes = array<i64: 3, 2>, steps = array<i64: -2, 1>} : (tensor<1x2x4x6xf32>) -> tensor<1x2x3x3xf32>
    %a, %b = nn.split %z {axis = 1 : i64, sizes = array<i64: 1, 2>} : (tensor<1x3x4x6xf32>) -> (tensor<1x1x4x6xf32>, tensor<1x2x4x6xf32>)
    %p = nn.pad %x {mode = "reflect", pads = array<i64: 0, 0, 1, 2, 0, 0, 3, 1>, value = 0.000000e+00 : f32} : (tensor<1x2x4x6xf32>) -> tensor<1x2x8x9xf32>
    %c = nn.pad %x {mode = "constant", pads = array<i64: 0, 0, -1, 0, 0, 0, 0, -2>, value = 1.500000e+00 : f32} : (tensor<1x2x4x6xf32>) -> tensor<1x2x3x4xf32>
    %r = nn.resize %x {mode = "linear", coordinate_transformation_mode = "half_pixel", nearest_mode = "round_prefer_floor", scales = array<f32: 2.000000e+00, 1.500000e+00>, sizes = array<i64: 8, 9>} : (tensor<1x2x4x6xf32>) -> tensor<1x2x8x9xf32>
    %rs = nn.reshape %x {shape = array<i64: 2, 24>} : (tensor<1x2x4x6xf32>) -> tensor<2x24xf32>
    %t = nn.transpose %x {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x4x6xf32>) -> tensor<1x4x6x2xf32>
    %g = nn.gather %x {axis = 3 : i64, indices = array<i64: 5, 0, 1, 1>, indices_shape = array<i64: 2, 2>} : (tensor<1x2x4x6xf32>) -> tensor<1x2x4x2x2xf32>
    %s = nn.gather %x {axis = 1 : i64, indices = array<i64: 1>, indices_shape = array<i64>} : (tensor<1x2x4x6xf32>) -> tensor<1x4x6xf32>
    func.return %cat : tensor<1x5x4x6xf32>
  }
}

// CHECK:      %cat = nn.concat %x, %z {axis = 1 : i64} : (tensor<1x2x4x6xf32>, tensor<1x3x4x6xf32>) -> tensor<1x5x4x6xf32>
// CHECK-NEXT: %sl = nn.slice %x {starts = array<i64: 5, 0>, ends = array<i64: -7, 3>, axes = array<i64: 3, 2>, steps = array<i64: -2, 1>} : (tensor<1x2x4x6xf32>) -> tensor<1x2x3x3xf32>
// CHECK-NEXT: %a, %b = nn.split %z {axis = 1 : i64, sizes = array<i64: 1, 2>} : (tensor<1x3x4x6xf32>) -> (tensor<1x1x4x6xf32>, tensor<1x2x4x6xf32>)
// CHECK-NEXT: %p = nn.pad %x {mode = "reflect", pads = array<i64: 0, 0, 1, 2, 0, 0, 3, 1>, value = 0.000000e+00 : f32} : (tensor<1x2x4x6xf32>) -> tensor<1x2x8x9xf32>
// CHECK-NEXT: %c = nn.pad %x {mode = "constant", pads = array<i64: 0, 0, -1, 0, 0, 0, 0, -2>, value = 1.500000e+00 : f32} : (tensor<1x2x4x6xf32>) -> tensor<1x2x3x4xf32>
// CHECK-NEXT: %r = nn.resize %x {mode = "linear", coordinate_transformation_mode = "half_pixel", nearest_mode = "round_prefer_floor", scales = array<f32: 2.000000e+00, 1.500000e+00>, sizes = array<i64: 8, 9>} : (tensor<1x2x4x6xf32>) -> tensor<1x2x8x9xf32>
// CHECK-NEXT: %rs = nn.reshape %x {shape = array<i64: 2, 24>} : (tensor<1x2x4x6xf32>) -> tensor<2x24xf32>
// CHECK-NEXT: %t = nn.transpose %x {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x4x6xf32>) -> tensor<1x4x6x2xf32>
// CHECK-NEXT: %g = nn.gather %x {axis = 3 : i64, indices = array<i64: 5, 0, 1, 1>, indices_shape = array<i64: 2, 2>} : (tensor<1x2x4x6xf32>) -> tensor<1x2x4x2x2xf32>
// CHECK-NEXT: %s = nn.gather %x {axis = 1 : i64, indices = array<i64: 1>, indices_shape = array<i64>} : (tensor<1x2x4x6xf32>) -> tensor<1x4x6xf32>

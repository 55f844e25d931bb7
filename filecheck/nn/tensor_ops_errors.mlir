// RUN: xdsl-opt %s --split-input-file --verify-diagnostics | filecheck %s

%x = "test.op"() : () -> tensor<1x2x4x6xf32>
%z = "test.op"() : () -> tensor<1x3x5x6xf32>
%y = nn.concat %x, %z {axis = 1 : i64} : (tensor<1x2x4x6xf32>, tensor<1x3x5x6xf32>) -> tensor<1x5x4x6xf32>
// CHECK: 'nn.concat': input 1 has shape 1x3x5x6, which differs from input 0 (1x2x4x6) outside axis 1

// -----

%x = "test.op"() : () -> tensor<1x2x4x6xf32>
%y = nn.concat %x {axis = 4 : i64} : (tensor<1x2x4x6xf32>) -> tensor<1x2x4x6xf32>
// CHECK: 'nn.concat': axis must be in [0, 4) for rank 4, got 4

// -----

%x = "test.op"() : () -> tensor<1x2x4x6xf32>
%y = nn.slice %x {starts = array<i64: 0>, ends = array<i64: 2>, axes = array<i64: 3>, steps = array<i64: 0>} : (tensor<1x2x4x6xf32>) -> tensor<1x2x4x2xf32>
// CHECK: 'nn.slice': steps must be non-zero, got [0]

// -----

%x = "test.op"() : () -> tensor<1x2x4x6xf32>
%y = nn.slice %x {starts = array<i64: 0, 1>, ends = array<i64: 2>, axes = array<i64: 3>, steps = array<i64: 1>} : (tensor<1x2x4x6xf32>) -> tensor<1x2x4x2xf32>
// CHECK: 'nn.slice': starts, ends, axes and steps must have one entry per sliced axis, got 2, 1, 1 and 1

// -----

%x = "test.op"() : () -> tensor<1x2x4x6xf32>
%y = nn.slice %x {starts = array<i64: 4>, ends = array<i64: 2>, axes = array<i64: 3>, steps = array<i64: 1>} : (tensor<1x2x4x6xf32>) -> tensor<1x2x4x1xf32>
// CHECK: 'nn.slice': the slice is empty: result shape 1x2x4x0

// -----

%x = "test.op"() : () -> tensor<1x2x4x6xf32>
%y = nn.slice %x {starts = array<i64: 0>, ends = array<i64: 4>, axes = array<i64: 3>, steps = array<i64: 2>} : (tensor<1x2x4x6xf32>) -> tensor<1x2x4x3xf32>
// CHECK: 'nn.slice': result shape 1x2x4x3 does not match the shape 1x2x4x2 implied by the operands 1x2x4x6 and properties

// -----

%x = "test.op"() : () -> tensor<1x3x4x6xf32>
%a, %b = nn.split %x {axis = 1 : i64, sizes = array<i64: 1, 1>} : (tensor<1x3x4x6xf32>) -> (tensor<1x1x4x6xf32>, tensor<1x1x4x6xf32>)
// CHECK: 'nn.split': sizes [1, 1] add up to 2, but axis 1 has size 3

// -----

%x = "test.op"() : () -> tensor<1x2x4x6xf32>
%y = nn.pad %x {mode = "wrap", pads = array<i64: 0, 0, 0, 0, 0, 0, 0, 0>, value = 0.0 : f32} : (tensor<1x2x4x6xf32>) -> tensor<1x2x4x6xf32>
// CHECK: 'nn.pad': mode must be one of constant, reflect, edge, got 'wrap'

// -----

%x = "test.op"() : () -> tensor<1x2x4x6xf32>
%y = nn.pad %x {mode = "constant", pads = array<i64: 1, 1, 1, 1>, value = 0.0 : f32} : (tensor<1x2x4x6xf32>) -> tensor<1x2x4x6xf32>
// CHECK: 'nn.pad': pads must have 2 x rank = 8 entries [begins..., ends...], got 4

// -----

%x = "test.op"() : () -> tensor<1x2x4x6xf32>
%y = nn.pad %x {mode = "reflect", pads = array<i64: 0, 0, 4, 0, 0, 0, 0, 0>, value = 0.0 : f32} : (tensor<1x2x4x6xf32>) -> tensor<1x2x8x6xf32>
// CHECK: 'nn.pad': reflect pads of axis 2 must be < its size 4, got 4 and 0

// -----

%x = "test.op"() : () -> tensor<1x2x4x6xf32>
%y = nn.pad %x {mode = "edge", pads = array<i64: 0, 0, -1, 0, 0, 0, 0, 0>, value = 0.0 : f32} : (tensor<1x2x4x6xf32>) -> tensor<1x2x3x6xf32>
// CHECK: 'nn.pad': edge pads must be >= 0, got [0, 0, -1, 0, 0, 0, 0, 0]

// -----

%x = "test.op"() : () -> tensor<1x2x4x6xf32>
%y = nn.resize %x {mode = "cubic", coordinate_transformation_mode = "half_pixel", nearest_mode = "floor", scales = array<f32: 2.0, 2.0>, sizes = array<i64: 8, 12>} : (tensor<1x2x4x6xf32>) -> tensor<1x2x8x12xf32>
// CHECK: 'nn.resize': mode must be one of nearest, linear, got 'cubic'

// -----

%x = "test.op"() : () -> tensor<1x2x4x6xf32>
%y = nn.resize %x {mode = "nearest", coordinate_transformation_mode = "tf_crop_and_resize", nearest_mode = "floor", scales = array<f32: 2.0, 2.0>, sizes = array<i64: 8, 12>} : (tensor<1x2x4x6xf32>) -> tensor<1x2x8x12xf32>
// CHECK: 'nn.resize': coordinate_transformation_mode must be one of asymmetric, half_pixel, align_corners, pytorch_half_pixel, half_pixel_symmetric, tf_half_pixel_for_nn, got 'tf_crop_and_resize'

// -----

%x = "test.op"() : () -> tensor<1x2x4x6xf32>
%y = nn.resize %x {mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor", scales = array<f32: 2.0, 0.0>, sizes = array<i64: 8, 12>} : (tensor<1x2x4x6xf32>) -> tensor<1x2x8x12xf32>
// CHECK: 'nn.resize': scales must be 2 positive floats (H, W), got [2.0, 0.0]

// -----

%x = "test.op"() : () -> tensor<2x4x6xf32>
%y = nn.resize %x {mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor", scales = array<f32: 2.0, 2.0>, sizes = array<i64: 8, 12>} : (tensor<2x4x6xf32>) -> tensor<2x8x12xf32>
// CHECK: 'nn.resize': input must be 4-D NCHW, got rank 3

// -----

%x = "test.op"() : () -> tensor<1x2x4x6xf32>
%y = nn.reshape %x {shape = array<i64: 2, 25>} : (tensor<1x2x4x6xf32>) -> tensor<2x25xf32>
// CHECK: 'nn.reshape': shape 2x25 has 50 elements, the input 1x2x4x6 has 48

// -----

%x = "test.op"() : () -> tensor<1x2x4x6xf32>
%y = nn.reshape %x {shape = array<i64: -1, 24>} : (tensor<1x2x4x6xf32>) -> tensor<2x24xf32>
// CHECK: 'nn.reshape': shape must be positive sizes, got [-1, 24]

// -----

%x = "test.op"() : () -> tensor<1x2x4x6xf32>
%y = nn.transpose %x {perm = array<i64: 0, 2, 2, 1>} : (tensor<1x2x4x6xf32>) -> tensor<1x4x4x2xf32>
// CHECK: 'nn.transpose': perm must be a permutation of 0..3, got [0, 2, 2, 1]

// -----

%x = "test.op"() : () -> tensor<1x2x4x6xf32>
%y = nn.gather %x {axis = 3 : i64, indices = array<i64: 6, -1>, indices_shape = array<i64: 2>} : (tensor<1x2x4x6xf32>) -> tensor<1x2x4x2xf32>
// CHECK: 'nn.gather': indices must be in [0, 6) for axis 3, got [6, -1]

// -----

%x = "test.op"() : () -> tensor<1x2x4x6xf32>
%y = nn.gather %x {axis = 3 : i64, indices = array<i64: 1, 2, 3>, indices_shape = array<i64: 2>} : (tensor<1x2x4x6xf32>) -> tensor<1x2x4x2xf32>
// CHECK: 'nn.gather': indices_shape [2] must be positive sizes holding the 3 indices

// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8}" | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8}" | xdsl-opt | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8 halos=false}" | filecheck %s --check-prefix=COPY

// conv (pad 1) + relu -> max_pool 3x3 (pad 1) -> conv (pad 1): each result's one user pads
// it, so its producer writes into the interior (a strided subview) of a buffer with that
// border, and fills only the border: the lowest f32 around the pool's input, zeros around
// the second conv's. Only the function's input is copied into a padded buffer. With
// halos=false every padded consumer copies its input into a fully filled buffer.

builtin.module {
  func.func @chain(%x: tensor<1x2x4x16xf32> {nn.name = "input"}) -> (tensor<1x2x4x16xf32> {nn.name = "output"}) {
    %w = arith.constant dense<0.5> : tensor<2x2x3x3xf32>
    %y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x16xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x4x16xf32>
    %r = nn.relu %y : (tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32>
    %p = nn.max_pool %r {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, ceil_pads = array<i64: 0, 0>} : (tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32>
    %z = nn.conv2d %p, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x16xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x4x16xf32>
    func.return %z : tensor<1x2x4x16xf32>
  }
}

// CHECK:      func.func @chain(%x: memref<1x2x4x16xf32> {nn.name = "input"}, %z: memref<1x2x4x16xf32> {nn.name = "output", nn.output}) {
// CHECK-DAG:    %[[LOWEST:.*]] = arith.constant -3.40282347e+38 : f32
// CHECK-DAG:    %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// The relu's result: the interior of the pool's bordered input, its top row filled here.
// CHECK:        %padded = memref.alloc() : memref<1x2x6x18xf32>
// CHECK-NEXT:   %r = memref.subview %padded[0, 0, 1, 1] [1, 2, 4, 16] [1, 1, 1, 1] : memref<1x2x6x18xf32> to memref<1x2x4x16xf32, strided<[216, 108, 18, 1], offset: 19>>
// CHECK-NEXT:   scf.for
// CHECK-NEXT:     scf.for %{{.*}} = %{{.*}} to %[[W18:.*]] step
// CHECK-NEXT:       memref.store %[[LOWEST]], %padded[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}] : memref<1x2x6x18xf32>
// The first conv copies the function's input into a zeroed buffer (216 elements) ...
// CHECK:        %padded_1 = memref.alloc() : memref<1x2x6x18xf32>
// CHECK:          memref.store %[[ZERO]], %{{.*}}[%{{.*}}] : memref<216xf32>
// CHECK:          memref.store %{{.*}}, %padded_1[
// ... and stores its relu'd vectors through the strided view.
// CHECK:        vector.store %{{.*}}, %r[%{{.*}}] : memref<1x2x4x16xf32, strided<[216, 108, 18, 1], offset: 19>>, vector<8xf32>
// The pool reads its bordered buffer and writes the zero-bordered input of the second conv.
// CHECK:        %padded_2 = memref.alloc() : memref<1x2x6x18xf32>
// CHECK-NEXT:   %p = memref.subview %padded_2[0, 0, 1, 1] [1, 2, 4, 16] [1, 1, 1, 1]
// CHECK:          memref.store %[[ZERO]], %padded_2[
// CHECK:          memref.load %padded[
// CHECK:          memref.store %{{.*}}, %p[%{{.*}}] : memref<1x2x4x16xf32, strided<[216, 108, 18, 1], offset: 19>>
// CHECK-NOT:    memref.alloc
// CHECK:          vector.load %padded_2[
// CHECK:          vector.store %{{.*}}, %z[
// CHECK:        func.return

// COPY-NOT:   memref.subview
// COPY:       %r = memref.alloc() : memref<1x2x4x16xf32>
// COPY:       %padded_1 = memref.alloc() : memref<1x2x6x18xf32>
// COPY:       memref.store %{{.*}}, %padded_1[
// COPY:       %padded_2 = memref.alloc() : memref<1x2x6x18xf32>
// COPY:       memref.store %{{.*}}, %padded_2[
// COPY-NOT:   memref.subview

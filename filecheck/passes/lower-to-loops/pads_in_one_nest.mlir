// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=1 pads-in-one-nest=true}" | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=1}" | filecheck %s --check-prefix=TWO

// A max pool padded 1 above, 2 on the right, none left and below (4 x 5 -> 5 x 7): with
// pads-in-one-nest (the opencl target's) its bordered copy is one nest over the 5 x 7
// buffer, each element the input's (shifted up by the top pad) where row >= 1 and
// column < 5, else the lowest f32: one kernel on a GPU. No test for the sides without a
// pad. By default, a fill of all 70 elements, then a copy of the 40 inside.

builtin.module {
  func.func @pool(%x: tensor<1x2x4x5xf32>) -> tensor<1x2x3x5xf32> {
    %p = nn.max_pool %x {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 0, 0, 2>, dilations = array<i64: 1, 1>} : (tensor<1x2x4x5xf32>) -> tensor<1x2x3x5xf32>
    func.return %p : tensor<1x2x3x5xf32>
  }
}

// CHECK-DAG:    %[[LOWEST:.*]] = arith.constant -3.40282347e+38 : f32
// CHECK-DAG:    %[[ONE:.*]] = arith.constant 1 : index
// CHECK-DAG:    %[[FIVE:.*]] = arith.constant 5 : index
// CHECK-DAG:    %[[SEVEN:.*]] = arith.constant 7 : index
// CHECK:        %padded = memref.alloc() : memref<1x2x5x7xf32>
// CHECK-NEXT:   scf.for %c = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT:     scf.for %y = %{{.*}} to %[[FIVE]] step %{{.*}} {
// CHECK-NEXT:       scf.for %x_1 = %{{.*}} to %[[SEVEN]] step %{{.*}} {
// CHECK-NEXT:         %[[BELOW_TOP:.*]] = arith.cmpi sge, %y, %[[ONE]] : index
// CHECK-NEXT:         %[[LEFT_OF_RIGHT:.*]] = arith.cmpi slt, %x_1, %[[FIVE]] : index
// CHECK-NEXT:         %[[INSIDE:.*]] = arith.andi %[[BELOW_TOP]], %[[LEFT_OF_RIGHT]] : i1
// CHECK-NEXT:         %[[V:.*]] = scf.if %[[INSIDE]] -> (f32) {
// CHECK-NEXT:           %[[ROW:.*]] = arith.addi %y, %{{.*}} : index
// CHECK-NEXT:           %[[E:.*]] = memref.load %x[%{{.*}}, %c, %[[ROW]], %x_1] : memref<1x2x4x5xf32>
// CHECK-NEXT:           scf.yield %[[E]] : f32
// CHECK-NEXT:         } else {
// CHECK-NEXT:           scf.yield %[[LOWEST]] : f32
// CHECK-NEXT:         }
// CHECK-NEXT:         memref.store %[[V]], %padded[%{{.*}}, %c, %y, %x_1] : memref<1x2x5x7xf32>
// CHECK-NOT:    memref<70xf32>

// TWO:          %padded = memref.alloc() : memref<1x2x5x7xf32>
// TWO:            memref.store %{{.*}}, %{{.*}}[%{{.*}}] : memref<70xf32>
// TWO-NOT:      scf.if
// TWO:            memref.store %{{.*}}, %padded[

// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=1}" | filecheck %s

// A 3 x 3 max pool, strides 2 x 2, over 1 x 2 x 7 x 7 (-> 1 x 2 x 3 x 3), ResNet's stem
// pool in small. Per output row, after the row buffer: the column taps of the first stride
// (kw = 0, 1: reads ow * 2 + kw) reduce in one loop and store, then the last tap (kw = 2:
// ow * 2 + 2) takes a pass of its own that reads the output back, combines, and stores it.
// gcc 13 vectorises both loops, not one loop over the three taps.

builtin.module {
  func.func @pool(%x: tensor<1x2x7x7xf32>) -> tensor<1x2x3x3xf32> {
    %p = nn.max_pool %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x2x7x7xf32>) -> tensor<1x2x3x3xf32>
    func.return %p : tensor<1x2x3x3xf32>
  }
}

// CHECK-DAG:    %[[TWO:.*]] = arith.constant 2 : index
// CHECK-DAG:    %[[THREE:.*]] = arith.constant 3 : index
// CHECK:        %pool_rows = memref.alloc() : memref<1x2x7xf32>
// CHECK:        scf.for %oh = %{{.*}} to %[[THREE]] step %{{.*}} {
// CHECK:          scf.for %iw =
// CHECK:          scf.for %ow = %{{.*}} to %[[THREE]] step %{{.*}} {
// CHECK:            %[[START:.*]] = memref.load %pool_rows[%{{.*}}, %c, %{{.*}}] : memref<1x2x7xf32>
// CHECK-NEXT:       %[[PAIR:.*]] = scf.for %kw = %{{.*}} to %[[TWO]] step %{{.*}} iter_args(%[[ACC:.*]] = %[[START]]) -> (f32) {
// CHECK:              arith.maximumf %[[ACC]], %{{.*}} : f32
// CHECK:            }
// CHECK-NEXT:       memref.store %[[PAIR]], %p[%{{.*}}, %c, %oh, %ow] : memref<1x2x3x3xf32>
// CHECK-NEXT:     }
// CHECK-NEXT:     scf.for %[[OW:.*]] = %{{.*}} to %[[THREE]] step %{{.*}} {
// CHECK-NEXT:       %[[SO_FAR:.*]] = memref.load %p[%{{.*}}, %c, %oh, %[[OW]]] : memref<1x2x3x3xf32>
// CHECK-NEXT:       %[[DOUBLE:.*]] = arith.muli %[[OW]], %[[TWO]] : index
// CHECK-NEXT:       %[[COL:.*]] = arith.addi %[[DOUBLE]], %[[TWO]] : index
// CHECK-NEXT:       %[[LAST:.*]] = memref.load %pool_rows[%{{.*}}, %c, %[[COL]]] : memref<1x2x7xf32>
// CHECK-NEXT:       %[[MAX:.*]] = arith.maximumf %[[SO_FAR]], %[[LAST]] : f32
// CHECK-NEXT:       memref.store %[[MAX]], %p[%{{.*}}, %c, %oh, %[[OW]]] : memref<1x2x3x3xf32>
// CHECK-NEXT:     }
// CHECK-NEXT:   }

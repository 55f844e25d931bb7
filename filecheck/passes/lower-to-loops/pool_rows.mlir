// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=1}" | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=1 pool-rows=false}" | filecheck %s --check-prefix=NEST

// A 2 x 3 max pool, strides 2 x 2, dilation 1 x 2 over 1 x 2 x 6 x 9 (-> 1 x 2 x 3 x 3).
// By default each output row takes two loops over a row buffer per channel: every input
// column the windows read ((3 - 1) * 2 + (3 - 1) * 2 + 1 = 9) reduced over the window's 2
// rows (a contiguous loop a C compiler vectorises), then each output reduced over its 3
// columns of that row (ow * 2 + kw * 2). With pool-rows=false, one nest over n, c, oh, ow
// with the taps inside (the opencl target's: an output a work item).

builtin.module {
  func.func @pool(%x: tensor<1x2x6x9xf32>) -> tensor<1x2x3x3xf32> {
    %p = nn.max_pool %x {kernel = array<i64: 2, 3>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 2>} : (tensor<1x2x6x9xf32>) -> tensor<1x2x3x3xf32>
    func.return %p : tensor<1x2x3x3xf32>
  }
}

// CHECK-DAG:    %[[TWO:.*]] = arith.constant 2 : index
// CHECK-DAG:    %[[THREE:.*]] = arith.constant 3 : index
// CHECK-DAG:    %[[NINE:.*]] = arith.constant 9 : index
// CHECK:        %pool_rows = memref.alloc() : memref<1x2x9xf32>
// CHECK-NEXT:   scf.for %c = %{{.*}} to %[[TWO]] step %{{.*}} {
// CHECK-NEXT:     scf.for %oh = %{{.*}} to %[[THREE]] step %{{.*}} {
// CHECK-NEXT:       scf.for %iw = %{{.*}} to %[[NINE]] step %{{.*}} {
// CHECK:              %[[FIRST:.*]] = memref.load %x[%{{.*}}, %c, %{{.*}}, %iw] : memref<1x2x6x9xf32>
// CHECK-NEXT:         %[[COL:.*]] = scf.for %kh = %{{.*}} to %[[TWO]] step %{{.*}} iter_args(%[[ACC:.*]] = %[[FIRST]]) -> (f32) {
// CHECK:                %[[TAP:.*]] = memref.load %x[%{{.*}}, %c, %{{.*}}, %iw] : memref<1x2x6x9xf32>
// CHECK-NEXT:           %[[MAX:.*]] = arith.maximumf %[[ACC]], %[[TAP]] : f32
// CHECK-NEXT:           scf.yield %[[MAX]] : f32
// CHECK-NEXT:         }
// CHECK-NEXT:         memref.store %[[COL]], %pool_rows[%{{.*}}, %c, %iw] : memref<1x2x9xf32>
// CHECK-NEXT:       }
// CHECK-NEXT:       scf.for %ow = %{{.*}} to %[[THREE]] step %{{.*}} {
// CHECK:              %[[START:.*]] = memref.load %pool_rows[%{{.*}}, %c, %{{.*}}] : memref<1x2x9xf32>
// CHECK-NEXT:         %[[OUT:.*]] = scf.for %kw = %{{.*}} to %[[THREE]] step %{{.*}} iter_args(%[[ACC2:.*]] = %[[START]]) -> (f32) {
// CHECK:                %[[PAIR:.*]] = memref.load %pool_rows[%{{.*}}, %c, %{{.*}}] : memref<1x2x9xf32>
// CHECK-NEXT:           %[[MAX2:.*]] = arith.maximumf %[[ACC2]], %[[PAIR]] : f32
// CHECK-NEXT:           scf.yield %[[MAX2]] : f32
// CHECK-NEXT:         }
// CHECK-NEXT:         memref.store %[[OUT]], %p[%{{.*}}, %c, %oh, %ow] : memref<1x2x3x3xf32>

// NEST-NOT:     pool_rows
// NEST:         scf.for %c =
// NEST-NEXT:      scf.for %oh =
// NEST-NEXT:        scf.for %ow =
// NEST:               scf.for %kh =
// NEST:                 scf.for %kw =
// NEST:                   arith.maximumf
// NEST-NOT:     pool_rows

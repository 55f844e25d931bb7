// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8 input-stationary=1}" | filecheck %s
//
// fkw_input_stationary_hints.mlir's layer at stride 2 (64 -> 32 columns, 8 -> 4 rows):
// input-stationary through the input split by column phase (phases[n, c, row, r, q] =
// padded[n, c, row, 2q + r]), so each tap still loads 8 consecutive outputs' inputs. A tile
// of 4 output rows reads padded rows 2 * r + kh; tap (kh, kw) reads phase kw % 2 at column
// ow + kw / 2. The next channel's hints cover the 9 padded rows the block reads, at its
// vector's first element (phase 0, ow) and last (phase 1, ow + 7).

builtin.module {
  func.func @layer(%x: tensor<1x2x8x64xf32>) -> tensor<1x2x4x32xf32> {
    %offset = arith.constant dense<[0, 2, 3]> : tensor<3xi32>
    %reorder = arith.constant dense<[0, 1]> : tensor<2xi32>
    %index = arith.constant dense<[0, 1, 1]> : tensor<3xi32>
    %stride = arith.constant dense<[[0, 1, 2], [0, 1, 1]]> : tensor<2x3xi32>
    %weight = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0]]> : tensor<3x4xf32>
    %bias = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
    %y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight, %bias {patterns = #pat.patterns<[0, 1, 3, 4], [4, 5, 7, 8]>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, activation = "relu"} : (tensor<1x2x8x64xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>, tensor<2xf32>) -> tensor<1x2x4x32xf32>
    func.return %y : tensor<1x2x4x32xf32>
  }
}

// CHECK-DAG:   %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:   %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG:   %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG:   %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG:   %[[C6:.*]] = arith.constant 6 : index
// CHECK-DAG:   %[[C7:.*]] = arith.constant 7 : index
// CHECK:       %phases = memref.alloc() : memref<1x2x10x2x33xf32>
// CHECK:       %is_tile = memref.alloc() : memref<1x2x4x8xf32>
// CHECK:       scf.for %ow = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:         scf.for %c_2 = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:           %[[LAST:.*]] = arith.addi %ow, %[[C7]] : index
// CHECK-NEXT:      pat.prefetch %phases[%[[C0]], %[[NEXT:.*]], %[[C0]], %[[C0]], %ow]
// CHECK-NEXT:      pat.prefetch %phases[%[[C0]], %[[NEXT]], %[[C0]], %[[C1]], %[[LAST]]]
// CHECK-COUNT-16:  pat.prefetch %phases[%[[C0]], %[[NEXT]],
// CHECK-NOT:       pat.prefetch
// pattern 0 (taps (0,0), (0,1), (1,0), (1,1)): tap (0,0) at rows 0, 2, 4, 6, phase 0
// CHECK:           vector.load %phases[%[[C0]], %c_2, %[[C0]], %[[C0]], %ow]
// CHECK-NEXT:      vector.load %phases[%[[C0]], %c_2, %[[C2]], %[[C0]], %ow]
// CHECK-NEXT:      vector.load %phases[%[[C0]], %c_2, %[[C4]], %[[C0]], %ow]
// CHECK-NEXT:      vector.load %phases[%[[C0]], %c_2, %[[C6]], %[[C0]], %ow]
// tap (0,1): phase 1, the same column
// CHECK-NEXT:      vector.load %phases[%[[C0]], %c_2, %[[C0]], %[[C1]], %ow]
// CHECK:           scf.for %k =
// pattern 1 (taps (1,1), (1,2), (2,1), (2,2)): tap (1,2) reads phase 0 one column on
// CHECK:           %[[NEXTCOL:.*]] = arith.addi %ow, %[[C1]] : index
// CHECK-NEXT:      vector.load %phases[%[[C0]], %c_2, %[[C1]], %[[C0]], %[[NEXTCOL]]]

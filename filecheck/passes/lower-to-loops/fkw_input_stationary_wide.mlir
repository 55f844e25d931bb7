// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8 input-stationary=1}" | filecheck %s
//
// fkw_input_stationary_hints.mlir's layer at 5x5: rows narrower than a vector run as one
// wide row over the flattened padded image (wide_rows.py: 4 * 7 + 5 = 33 outputs, 5
// vectors of 8), and input-stationary over it: WIDE_GROUPS = 2 tiles of 3 of its vectors,
// each tile its own slot (the loop parallelize splits). Vector r of tile g starts at
// min(24 g + 8 r, 25) (the last one overlaps, a tile past the row repeats it). Then each
// filter's wide row is stored from the tiles, each vector once (columns 0, 8, 16, 24, 25),
// and the crop copies its 5x5 valid outputs.

builtin.module {
  func.func @layer(%x: tensor<1x2x5x5xf32>) -> tensor<1x2x5x5xf32> {
    %offset = arith.constant dense<[0, 2, 3]> : tensor<3xi32>
    %reorder = arith.constant dense<[0, 1]> : tensor<2xi32>
    %index = arith.constant dense<[0, 1, 1]> : tensor<3xi32>
    %stride = arith.constant dense<[[0, 1, 2], [0, 1, 1]]> : tensor<2x3xi32>
    %weight = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0]]> : tensor<3x4xf32>
    %bias = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
    %y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight, %bias {patterns = #pat.patterns<[0, 1, 3, 4], [4, 5, 7, 8]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, activation = "relu"} : (tensor<1x2x5x5xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>, tensor<2xf32>) -> tensor<1x2x5x5xf32>
    func.return %y : tensor<1x2x5x5xf32>
  }
}

// CHECK-DAG:   %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:   %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG:   %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG:   %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG:   %[[C16:.*]] = arith.constant 16 : index
// CHECK-DAG:   %[[C24:.*]] = arith.constant 24 : index
// CHECK-DAG:   %[[C25:.*]] = arith.constant 25 : index
// CHECK:       %[[X:.*]] = memref.expand_shape {{.*}} into memref<1x2x1x49xf32>
// CHECK-NEXT:  %wide = memref.alloc() : memref<1x2x1x33xf32>
// CHECK-NEXT:  %is_tile = memref.alloc() : memref<2x2x3x8xf32>
// CHECK-NEXT:  scf.for %g = %[[C0]] to %[[C2]] step %[[C1]] {
// CHECK-NEXT:    %[[G0:.*]] = arith.muli %g, %[[C24]] : index
// CHECK-NEXT:    %[[S0:.*]] = arith.minsi %[[G0]], %[[C25]] : index
// CHECK-NEXT:    %[[G1:.*]] = arith.muli %g, %[[C24]] : index
// CHECK-NEXT:    %[[A1:.*]] = arith.addi %[[G1]], %[[C8]] : index
// CHECK-NEXT:    %[[S1:.*]] = arith.minsi %[[A1]], %[[C25]] : index
// CHECK:         vector.store %{{.*}}, %is_tile[%g, %o, %[[C0]], %[[C0]]]
// CHECK:         scf.for %c_1 =
// the first pattern's first tap (0, 0): shift 0, at each vector's start
// CHECK:           vector.load %[[X]][%[[C0]], %c_1, %[[C0]], %[[S0]]]
// CHECK-NEXT:      vector.load %[[X]][%[[C0]], %c_1, %[[C0]], %[[S1]]]
// CHECK:           scf.for %k =
// CHECK:             vector.load %is_tile[%g, %{{.*}}, %[[C0]], %[[C0]]]
// CHECK:         } {nn.layer
// CHECK-NEXT:  scf.for %o_1 = %[[C0]] to %[[C2]] step %[[C1]] {
// CHECK:         vector.store %{{.*}}, %wide[%[[C0]], %o_1, %[[C0]], %[[C0]]]
// CHECK:         vector.store %{{.*}}, %wide[%[[C0]], %o_1, %[[C0]], %[[C8]]]
// CHECK:         vector.store %{{.*}}, %wide[%[[C0]], %o_1, %[[C0]], %[[C16]]]
// CHECK:         vector.load %is_tile[%[[C1]], %o_1, %[[C0]], %[[C0]]]
// CHECK:         vector.store %{{.*}}, %wide[%[[C0]], %o_1, %[[C0]], %[[C24]]]
// CHECK:         vector.store %{{.*}}, %wide[%[[C0]], %o_1, %[[C0]], %[[C25]]]
// CHECK-NOT:     vector.store
// CHECK:       memref.load %wide
// CHECK-NEXT:  memref.store {{.*}}, %y

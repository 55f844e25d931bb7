// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8 input-stationary=1}" | filecheck %s
//
// fkw_input_stationary.mlir's layer on rows of 32 (4 vectors of 8, HINT_VECTORS): while a
// channel runs, the nest prefetches the next channel's input rows (the last channel its
// own: minsi), the 6 rows a block of 4 output rows reads, at its vector's first column and
// its last (ow + 9: 8 lanes and the taps' 2 more columns).

builtin.module {
  func.func @layer(%x: tensor<1x2x4x32xf32>) -> tensor<1x2x4x32xf32> {
    %offset = arith.constant dense<[0, 2, 3]> : tensor<3xi32>
    %reorder = arith.constant dense<[0, 1]> : tensor<2xi32>
    %index = arith.constant dense<[0, 1, 1]> : tensor<3xi32>
    %stride = arith.constant dense<[[0, 1, 2], [0, 1, 1]]> : tensor<2x3xi32>
    %weight = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0]]> : tensor<3x4xf32>
    %bias = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
    %y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight, %bias {patterns = #pat.patterns<[0, 1, 3, 4], [4, 5, 7, 8]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, activation = "relu"} : (tensor<1x2x4x32xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>, tensor<2xf32>) -> tensor<1x2x4x32xf32>
    func.return %y : tensor<1x2x4x32xf32>
  }
}

// CHECK:       scf.for %ow = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:         scf.for %c_1 = %{{.*}} to %{{.*}} step %[[ONE:.*]] {
// CHECK-NEXT:      %[[N1:.*]] = arith.addi %c_1, %[[ONE]] : index
// CHECK-NEXT:      %[[NEXT:.*]] = arith.minsi %[[N1]], %[[ONE]] : index
// CHECK-NEXT:      %[[LAST:.*]] = arith.addi %ow, %{{.*}} : index
// CHECK-NEXT:      pat.prefetch %padded[%{{.*}}, %[[NEXT]], %{{.*}}, %ow] : memref<1x2x6x34xf32>
// CHECK-NEXT:      pat.prefetch %padded[%{{.*}}, %[[NEXT]], %{{.*}}, %[[LAST]]] : memref<1x2x6x34xf32>
// CHECK-COUNT-10:  pat.prefetch %padded[%{{.*}}, %[[NEXT]],
// CHECK-NOT:       pat.prefetch
// CHECK:           memref.load %is_start

// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8 input-stationary=1 input-stationary-filter-bytes=768}" | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8 input-stationary=1 input-stationary-filter-bytes=384}" | filecheck %s --check-prefix=ONE-SWEEP
//
// 12 filters x 2 channels, one pattern [0, 1, 3, 4], every kernel kept: 12 kernels a
// (channel, pattern) pair. 8 rows run as tiles of 4 (2 row blocks), so a filter's tiles
// take 4 x 8 floats, 128 bytes: 768 bytes hold 6 filters, and the channels are swept once
// per block of 6 (6 kernels a block's pair, MIN_BLOCK_KERNELS): the kernels in (block,
// channel, pattern, filter) order, is_start[fb * 2 + c] = [0, 6, 12, 18, 24], the filter
// block loop around the channel loop. 384 bytes (blocks of 3, 3 kernels a pair) keep one
// sweep over all 12 filters.

builtin.module {
  func.func @layer(%x: tensor<1x2x8x8xf32>) -> tensor<1x12x8x8xf32> {
    %offset = arith.constant dense<[0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24]> : tensor<13xi32>
    %reorder = arith.constant dense<[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]> : tensor<12xi32>
    %index = arith.constant dense<[0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]> : tensor<24xi32>
    %stride = arith.constant dense<[[0, 2], [0, 2], [0, 2], [0, 2], [0, 2], [0, 2], [0, 2], [0, 2], [0, 2], [0, 2], [0, 2], [0, 2]]> : tensor<12x2xi32>
    %weight = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0], [13.0, 14.0, 15.0, 16.0], [17.0, 18.0, 19.0, 20.0], [21.0, 22.0, 23.0, 24.0], [25.0, 26.0, 27.0, 28.0], [29.0, 30.0, 31.0, 32.0], [33.0, 34.0, 35.0, 36.0], [37.0, 38.0, 39.0, 40.0], [41.0, 42.0, 43.0, 44.0], [45.0, 46.0, 47.0, 48.0], [49.0, 50.0, 51.0, 52.0], [53.0, 54.0, 55.0, 56.0], [57.0, 58.0, 59.0, 60.0], [61.0, 62.0, 63.0, 64.0], [65.0, 66.0, 67.0, 68.0], [69.0, 70.0, 71.0, 72.0], [73.0, 74.0, 75.0, 76.0], [77.0, 78.0, 79.0, 80.0], [81.0, 82.0, 83.0, 84.0], [85.0, 86.0, 87.0, 88.0], [89.0, 90.0, 91.0, 92.0], [93.0, 94.0, 95.0, 96.0]]> : tensor<24x4xf32>
    %bias = arith.constant dense<[0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5]> : tensor<12xf32>
    %y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight, %bias {patterns = #pat.patterns<[0, 1, 3, 4]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, activation = "relu"} : (tensor<1x2x8x8xf32>, tensor<13xi32>, tensor<12xi32>, tensor<24xi32>, tensor<12x2xi32>, tensor<24x4xf32>, tensor<12xf32>) -> tensor<1x12x8x8xf32>
    func.return %y : tensor<1x12x8x8xf32>
  }
}

// CHECK-DAG:   "memref.global"() <{sym_name = "is_filter", type = memref<24xi32>, initial_value = dense<[0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 6, 7, 8, 9, 10, 11]>
// CHECK-DAG:   "memref.global"() <{sym_name = "is_start", type = memref<5xi32>, initial_value = dense<[0, 6, 12, 18, 24]>
// CHECK:       %is_tile = memref.alloc() : memref<2x12x4x8xf32>
// CHECK:       scf.for %fb = %{{.*}} to %[[TWO:.*]] step %{{.*}} {
// CHECK-NEXT:    scf.for %[[C:.*]] = %{{.*}} to %[[TWO]] step %{{.*}} {
// CHECK-NEXT:      %[[FB2:.*]] = arith.muli %fb, %[[TWO]] : index
// CHECK-NEXT:      %[[PAIR:.*]] = arith.addi %[[C]], %[[FB2]] : index
// CHECK-NEXT:      memref.load %is_start[%[[PAIR]]] : memref<5xi32>
// CHECK:           scf.for %k =
// CHECK:             memref.load %is_filter[%k] : memref<24xi32>

// ONE-SWEEP-DAG: "memref.global"() <{sym_name = "is_start", type = memref<3xi32>, initial_value = dense<[0, 12, 24]>
// ONE-SWEEP-NOT: scf.for %fb

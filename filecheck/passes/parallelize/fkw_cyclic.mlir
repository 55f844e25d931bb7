// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4},parallelize{threads=2}" | filecheck %s

// A block-pruned FKW layer (4 filters in FKR groups of 2; the input of
// lower-to-loops/fkw_shared_groups.mlir). The loop over the groups is parallel, and its
// kernel loops read their bounds from %stride at the group's index: the groups do
// different amounts of work (reorder-filters sorts them by kernel count), so the threads
// take them round robin (cyclic, printed `schedule(static, 1)`). The padding fill and
// copy do the same work in every iteration: contiguous chunks (unit).

builtin.module {
  func.func @layer(%x: tensor<1x2x6x8xf32> {nn.name = "input"}) -> (tensor<1x4x6x8xf32> {nn.name = "output"}) {
    %offset = arith.constant dense<[0, 2, 4, 5, 6]> : tensor<5xi32>
    %reorder = arith.constant dense<[0, 1, 2, 3]> : tensor<4xi32>
    %index = arith.constant dense<[0, 1, 0, 1, 1, 1]> : tensor<6xi32>
    %stride = arith.constant dense<[[0, 1, 2], [0, 1, 2], [0, 1, 1], [0, 1, 1]]> : tensor<4x3xi32>
    %weight = arith.constant dense<1.0> : tensor<6x4xf32>
    %y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4], [4, 5, 7, 8]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, filter_groups = array<i64: 0, 2>} : (tensor<1x2x6x8xf32>, tensor<5xi32>, tensor<4xi32>, tensor<6xi32>, tensor<4x3xi32>, tensor<6x4xf32>) -> tensor<1x4x6x8xf32>
    func.return %y : tensor<1x4x6x8xf32>
  }
}

// CHECK:      scf.for %i = {{.*}} {
// CHECK:      } {nn.layer = "y: pat fkw_conv2d 1x2x6x8 -> 1x4x6x8, 2 patterns, 2 groups", patcc.parallel}
// CHECK:      } {patcc.parallel}
// CHECK:      scf.for %j = {{.*}} {
// CHECK:        %[[LB:.*]] = memref.load %stride[%j, %{{.*}}] : memref<4x3xi32>
// CHECK:        scf.for %k = {{.*}}
// CHECK:      } {pat.loop = "groups", pat.group = 2 : i64, nn.layer = "y: pat fkw_conv2d 1x2x6x8 -> 1x4x6x8, 2 patterns, 2 groups", patcc.parallel = "cyclic"}

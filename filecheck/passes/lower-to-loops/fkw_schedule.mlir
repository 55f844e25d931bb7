// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8}" | filecheck %s
//
// The FKW layer of fkw_conv.mlir with its own schedule (`pat.schedule`, what a tuning log
// gives a layer): vector length 4 in an 8-lane pipeline (the 8-wide rows would otherwise run
// one 8-lane vector) and blocks of 2 output rows (the 6 rows fit the L2 budget: one block
// otherwise). The block loop `ohb` steps by 2 around the filter loop, the vectors are 4
// wide, and the top-level loops carry the schedule on to tile-conv.
// Without the schedule (fkw_conv.mlir) the same layer has no ohb loop.

builtin.module {
  func.func @layer(%x: tensor<1x2x6x8xf32>) -> tensor<1x2x6x8xf32> {
    %offset = arith.constant dense<[0, 2, 3]> : tensor<3xi32>
    %reorder = arith.constant dense<[0, 1]> : tensor<2xi32>
    %index = arith.constant dense<[0, 1, 1]> : tensor<3xi32>
    %stride = arith.constant dense<[[0, 1, 2], [0, 1, 1]]> : tensor<2x3xi32>
    %weight = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0]]> : tensor<3x4xf32>
    %bias = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
    %y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight, %bias {patterns = #pat.patterns<[0, 1, 3, 4], [4, 5, 7, 8]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, activation = "relu", pat.schedule = {vl = 4 : i64, rb = 2 : i64}} : (tensor<1x2x6x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>, tensor<2xf32>) -> tensor<1x2x6x8xf32>
    func.return %y : tensor<1x2x6x8xf32>
  }
}

// CHECK-NOT:   pat.fkw_conv2d
// CHECK-DAG:   %[[TWO:.*]] = arith.constant 2 : index
// CHECK-DAG:   %[[SIX:.*]] = arith.constant 6 : index
// CHECK:       scf.for %ohb = %{{.*}} to %[[SIX]] step %[[TWO]] {
// CHECK-NEXT:    scf.for %j = {{.*}} {
// CHECK:           scf.for %oh = {{.*}} {
// CHECK:             scf.for %ow = {{.*}} {
// CHECK:               vector.load {{.*}} vector<4xf32>
// CHECK-NOT:     vector<8xf32>
// CHECK:       } {nn.layer = "y: pat fkw_conv2d 1x2x6x8 -> 1x2x6x8, 2 patterns", pat.schedule = {vl = 4 : i64, rb = 2 : i64}}

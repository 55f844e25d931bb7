// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4},tile-conv{oc=2 oh=4 ow=2},eliminate-load-redundancy" | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4},tile-conv{oc=2 oh=4 ow=2},eliminate-load-redundancy" | filecheck %s --check-prefix=FMA
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4},tile-conv{oc=2 oh=4 ow=2},eliminate-load-redundancy" | filecheck %s --check-prefix=WEIGHT
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4},tile-conv{oc=2 oh=4 ow=2}" | filecheck %s --check-prefix=BEFORE
//
// The hand-sized FKW layer of lower-to-loops/fkw_conv.mlir, tiled 2 filters x 4 rows x 2
// vectors of 4. LRE unrolls the intra-tile loops and jams the copies: one kernel loop per
// (filter, pattern) carries the 4 x 2 accumulators of the register tile. Pattern [0, 1, 3, 4]
// reads padded rows r + {0, 1} and columns x + {0, 1} for r = 0..3 and x in {x0, x0 + 4}:
// 5 rows x 4 columns = 20 vector loads for 32 FMAs, where the tiled loop nest did 32 loads
// (4 per output vector); the channel index and the 4 weights are loaded once per kernel.

builtin.module {
  func.func @layer(%x: tensor<1x2x6x8xf32>) -> tensor<1x2x6x8xf32> {
    %offset = arith.constant dense<[0, 2, 3]> : tensor<3xi32>
    %reorder = arith.constant dense<[0, 1]> : tensor<2xi32>
    %index = arith.constant dense<[0, 1, 1]> : tensor<3xi32>
    %stride = arith.constant dense<[[0, 1, 2], [0, 1, 1]]> : tensor<2x3xi32>
    %weight = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0]]> : tensor<3x4xf32>
    %bias = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
    %y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight, %bias {patterns = #pat.patterns<[0, 1, 3, 4], [4, 5, 7, 8]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, activation = "relu"} : (tensor<1x2x6x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>, tensor<2xf32>) -> tensor<1x2x6x8xf32>
    func.return %y : tensor<1x2x6x8xf32>
  }
}

// CHECK-NOT:       pat.unroll
// CHECK:           scf.for %j0 = {{%[0-9]+}} to {{%[0-9]+}} step {{%[0-9]+}} {
// CHECK:             scf.for %oh0 = {{%[0-9]+}} to {{%[0-9]+}} step {{%[0-9]+}} {
// CHECK:               scf.for %ow0 = {{%[0-9]+}} to {{%[0-9]+}} step {{%[0-9]+}} {
// CHECK:                 scf.for %k = {{.*}} -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>) {
// CHECK-NEXT:              memref.load %index
// CHECK-NOT:               memref.load %index
// CHECK-COUNT-20:          vector.load %padded
// CHECK-NOT:               vector.load
// CHECK:                 } {pat.conv = "conv0", pat.pattern = array<i64: 0, 1, 3, 4>}

// WEIGHT:                scf.for %k = {{.*}} -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>) {
// WEIGHT-COUNT-4:          memref.load %weight
// WEIGHT-NOT:              memref.load %weight
// WEIGHT:                } {pat.conv = "conv0", pat.pattern = array<i64: 0, 1, 3, 4>}

// FMA:                   scf.for %k = {{.*}} -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>) {
// FMA-COUNT-32:            vector.fma
// FMA-NOT:                 vector.fma
// FMA:                   } {pat.conv = "conv0", pat.pattern = array<i64: 0, 1, 3, 4>}

// Before LRE: one accumulator and 4 loads per kernel loop, 8 loops for the tile's outputs.
// BEFORE:                scf.for %k = {{.*}} iter_args({{%[0-9]+}} = {{%[0-9]+}}) -> (vector<4xf32>) {
// BEFORE-COUNT-4:          vector.load %padded
// BEFORE-NOT:              vector.load
// BEFORE:                } {pat.conv = "conv0", pat.pattern = array<i64: 0, 1, 3, 4>}

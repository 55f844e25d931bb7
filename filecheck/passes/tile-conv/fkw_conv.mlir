// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4},tile-conv{oc=2 oh=4 ow=2}" | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4},tile-conv{oc=4 oh=8 ow=4}" | filecheck %s --check-prefix=NONE
//
// The hand-sized FKW layer of lower-to-loops/fkw_conv.mlir: 2 filters, 6 output rows, output
// width 8 = 2 vectors of 4. oc=2 oh=4 ow=2: the filters are one tile (no remainder loop),
// the rows a tile of 4 plus a remainder tile of rows 4..5, the vectors one tile of 2. Each
// tile loop keeps its role and records its size; the intra-tile loops run 0..T with constant
// bounds (pat.unroll) and rebuild the original index as tile start + t * step, the start a
// constant where the loop has one full tile (all three here: the unrolled indices fold).

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

// CHECK:       scf.for %j0 = {{%[0-9]+}} to {{%[0-9]+}} step {{%[0-9]+}} {
// CHECK-NEXT:    scf.for [[T:%[0-9]+]] = {{%[0-9]+}} to {{%[0-9]+}} step {{%[0-9]+}} {
// CHECK-NOT:       %j0
// CHECK:           [[J:%[0-9]+]] = arith.addi {{%[0-9]+}}, [[T]] : index
// CHECK-NEXT:      {{%[0-9]+}} = memref.load %reorder{{\[}}[[J]]] : memref<2xi32>
// CHECK:           scf.for %oh0 = {{%[0-9]+}} to {{%[0-9]+}} step {{%[0-9]+}} {
// CHECK-NEXT:        scf.for [[R:%[0-9]+]] = {{%[0-9]+}} to {{%[0-9]+}} step {{%[0-9]+}} {
// CHECK-NEXT:          [[OH:%[0-9]+]] = arith.addi {{%[0-9]+}}, [[R]] : index
// CHECK:               scf.for %ow0 = {{%[0-9]+}} to {{%[0-9]+}} step {{%[0-9]+}} {
// CHECK-NEXT:            scf.for [[C:%[0-9]+]] = {{%[0-9]+}} to {{%[0-9]+}} step {{%[0-9]+}} {
// CHECK-NEXT:              [[CV:%[0-9]+]] = arith.muli [[C]], {{%[0-9]+}} : index
// CHECK-NEXT:              [[OW:%[0-9]+]] = arith.addi {{%[0-9]+}}, [[CV]] : index
// CHECK:                   vector.load %padded[{{%[0-9]+}}, {{%[0-9]+}}, [[OH]], [[OW]]]
// CHECK:                   } {pat.conv = "conv0", pat.pattern = array<i64: 0, 1, 3, 4>}
// CHECK:                   } {pat.conv = "conv0", pat.pattern = array<i64: 4, 5, 7, 8>}
// CHECK:                   vector.store {{%[0-9]+}}, %y[{{%[0-9]+}}, {{%[0-9]+}}, [[OH]], [[OW]]]
// CHECK-NEXT:            } {pat.unroll}
// CHECK-NEXT:          } {pat.loop = "cols", pat.tile = 2 : i64}
// CHECK-NEXT:        } {pat.unroll}
// CHECK-NEXT:      } {pat.loop = "rows", pat.tile = 4 : i64}
// The row remainder: rows 4..5, one tile of 2 (its unrolled copies count from the constant
// 4), not the original loop a row at a time; its vector loop tiled too.
// CHECK:           scf.for %oh0_1 = {{%[0-9]+}} to {{%[0-9]+}} step {{%[0-9]+}} {
// CHECK-NEXT:        scf.for [[R2:%[0-9]+]] = {{%[0-9]+}} to {{%[0-9]+}} step {{%[0-9]+}} {
// CHECK-NEXT:          {{%[0-9]+}} = arith.addi {{%[0-9]+}}, [[R2]] : index
// CHECK-NOT:           %oh0_1
// CHECK:               } {pat.loop = "cols", pat.tile = 2 : i64}
// CHECK-NEXT:        } {pat.unroll}
// CHECK-NEXT:      } {pat.loop = "rows", pat.tile = 2 : i64}
// CHECK-NEXT:    } {pat.unroll}
// CHECK-NEXT:  } {pat.loop = "filters"{{.*}}, pat.tile = 2 : i64}
// No filter remainder: 2 filters are one tile.
// CHECK-NOT:   pat.loop = "filters"
// CHECK:       func.return

// Tiles larger than the loops: each loop is one tile of all its trips (2 vectors, 6 rows,
// 2 filters), not left rolled (a row block's shorter last block keeps a register tile).
// NONE:        } {pat.loop = "cols", pat.tile = 2 : i64}
// NONE:        } {pat.loop = "rows", pat.tile = 6 : i64}
// NONE:        } {pat.loop = "filters"{{.*}}, pat.tile = 2 : i64}
// NONE-NOT:    pat.loop

// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=16},tile-conv{oc=2 oh=0 ow=2}" | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8},tile-conv{oc=2 oh=0 ow=2}" | filecheck %s --check-prefix=V8
// RUN: sed -e 's/x16xf32/x56xf32/g' %s | xdsl-opt -p "lower-to-loops{vector-length=16},tile-conv{oc=2 oh=0 ow=2}" | filecheck %s --check-prefix=WIDE
//
// oh=0: the rows tile follows the vector width of the layer's rows. The hand-sized FKW layer
// of fkw_conv.mlir, 9 output rows of 16: at 16 lanes (one vector per row, 32 AVX-512
// registers) tiles of 8 rows plus a remainder row; at 8 lanes (two vectors per row, one
// column tile) tiles of 4 rows plus a remainder row. The same layer 56 wide at 16 lanes
// (WIDE): rows of WIDE_ROW outputs or more lay half the rows along the row
// (WIDE_FILTER_ROWS), tiles of 4 rows x 4 vectors (the whole row), then the remainder row.

builtin.module {
  func.func @layer(%x: tensor<1x2x9x16xf32>) -> tensor<1x2x9x16xf32> {
    %offset = arith.constant dense<[0, 2, 3]> : tensor<3xi32>
    %reorder = arith.constant dense<[0, 1]> : tensor<2xi32>
    %index = arith.constant dense<[0, 1, 1]> : tensor<3xi32>
    %stride = arith.constant dense<[[0, 1, 2], [0, 1, 1]]> : tensor<2x3xi32>
    %weight = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0]]> : tensor<3x4xf32>
    %y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4], [4, 5, 7, 8]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x9x16xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>) -> tensor<1x2x9x16xf32>
    func.return %y : tensor<1x2x9x16xf32>
  }
}

// CHECK:       scf.for %oh0 = {{%[0-9]+}} to {{%[0-9]+}} step {{%[0-9]+}} {
// CHECK:         vector.fma {{.*}} : vector<16xf32>
// CHECK:       } {pat.loop = "rows", pat.tile = 8 : i64}
// CHECK-NOT:   pat.loop = "cols"
// CHECK:       } {pat.loop = "filters"{{.*}}, pat.tile = 2 : i64}

// V8:          scf.for %oh0 = {{%[0-9]+}} to {{%[0-9]+}} step {{%[0-9]+}} {
// V8:            vector.fma {{.*}} : vector<8xf32>
// V8:          } {pat.loop = "cols", pat.tile = 2 : i64}
// V8:          } {pat.loop = "rows", pat.tile = 4 : i64}
// V8:          } {pat.loop = "filters"{{.*}}, pat.tile = 2 : i64}

// WIDE:        scf.for %oh0 = {{%[0-9]+}} to {{%[0-9]+}} step {{%[0-9]+}} {
// WIDE:          vector.fma {{.*}} : vector<16xf32>
// WIDE:        } {pat.loop = "cols", pat.tile = 4 : i64}
// WIDE-NEXT:   } {pat.unroll}
// WIDE-NEXT:   } {pat.loop = "rows", pat.tile = 4 : i64}

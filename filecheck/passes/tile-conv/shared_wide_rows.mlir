// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8},tile-conv{oc=1 oh=0 ow=2}" | filecheck %s
// RUN: sed -e 's/x128xf32/x48xf32/g' %s | xdsl-opt -p "lower-to-loops{vector-length=8},tile-conv{oc=1 oh=0 ow=2}" | filecheck %s --check-prefix=NARROW
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8},tile-conv{oc=1 oh=1 ow=2}" | filecheck %s --check-prefix=ONEROW
//
// oh=0 on a block-shared layer (FKR groups of 2 filters with one kernel list each, as in
// lower-to-loops/fkw_shared_groups.mlir): SHARED_ROWS // 2 = 4 rows per tile, except on
// rows of WIDE_ROW (56) outputs or more, which take 1 row (no rows tile) and lay the 4 rows
// along it: ow x 4 = 8 vectors per tile, the same 2 x 8 accumulators (VGG-16's 56- to
// 224-wide layers measured faster so, docs/performance.md "Wide rows"). The same layer 48
// wide keeps tiles of 4 rows x 2 vectors; an explicit rows tile (oh=1) keeps ow.

builtin.module {
  func.func @layer(%x: tensor<1x2x6x128xf32>) -> tensor<1x4x6x128xf32> {
    %offset = arith.constant dense<[0, 2, 4, 5, 6]> : tensor<5xi32>
    %reorder = arith.constant dense<[0, 1, 2, 3]> : tensor<4xi32>
    %index = arith.constant dense<[0, 1, 0, 1, 1, 1]> : tensor<6xi32>
    %stride = arith.constant dense<[[0, 1, 2], [0, 1, 2], [0, 1, 1], [0, 1, 1]]> : tensor<4x3xi32>
    %weight = arith.constant dense<1.0> : tensor<6x4xf32>
    %y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4], [4, 5, 7, 8]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, filter_groups = array<i64: 0, 2>} : (tensor<1x2x6x128xf32>, tensor<5xi32>, tensor<4xi32>, tensor<6xi32>, tensor<4x3xi32>, tensor<6x4xf32>) -> tensor<1x4x6x128xf32>
    func.return %y : tensor<1x4x6x128xf32>
  }
}

// CHECK:       } {pat.loop = "cols", pat.group = 2 : i64, pat.tile = 8 : i64}
// CHECK-NEXT:  } {pat.loop = "rows", pat.group = 2 : i64}
// CHECK-NEXT:  } {pat.loop = "groups", pat.group = 2 : i64, nn.layer = {{.*}}}
// CHECK-NOT:   pat.loop = "rows", pat.group = 2 : i64, pat.tile

// NARROW:      } {pat.loop = "rows", pat.group = 2 : i64, pat.tile = 4 : i64}
// NARROW:      } {pat.loop = "cols", pat.group = 2 : i64, pat.tile = 2 : i64}

// ONEROW:      } {pat.loop = "cols", pat.group = 2 : i64, pat.tile = 2 : i64}
// ONEROW-NEXT: } {pat.loop = "rows", pat.group = 2 : i64}

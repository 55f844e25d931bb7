// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=1},tile-conv{oc=1 oh=0 ow=1 min-items=48}" | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=1},tile-conv{oc=1 oh=0 ow=1 min-items=49}" | filecheck %s --check-prefix=FEW
// RUN: sed -e 's/x6x8xf32/x8x8xf32/g' %s | xdsl-opt -p "lower-to-loops{vector-length=1},tile-conv{oc=1 oh=0 ow=1 min-items=32}" | filecheck %s --check-prefix=FOUR
// RUN: sed -e 's/x6x8xf32/x8x8xf32/g' %s | xdsl-opt -p "lower-to-loops{vector-length=1},tile-conv{oc=1 oh=0 ow=1 min-items=32},eliminate-load-redundancy,canonicalize-hoisted,cse,plan-buffers,map-to-ndrange{max-dims=1 collapse=true local-size=64},layout-weights" -t opencl | filecheck %s --check-prefix=GPU
//
// min-items > 0 (the opencl target's schedule): the rows tile is the largest of 4 and 2
// that divides the rows loop and leaves at least min-items work items, one per tile (the
// loops around it x its rows / R x the row's outputs). The layer of collapsed.mlir: 2
// filters x 6 rows x 8 columns = 96 outputs, at vector length 1 (the scalar pipeline's
// column loop is its `cols` loop, left untiled: ow=1 and no factor along the row). 4 does
// not divide 6 rows, so 2-row tiles (48 items); with 49 items wanted no tile. 8 rows
// (FOUR): 4-row tiles, 32 items. On the GPU (GPU) the 4 rows of a tile are one work item
// of the flat NDRange, their kernel loops jammed by LRE: 4 accumulators, the kernel's
// index and weights loaded once for them (and the input rows the taps share).
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

// CHECK:       scf.for %ow = {{.*}} {
// CHECK:       } {pat.loop = "cols"}
// CHECK:       } {pat.loop = "rows", pat.tile = 2 : i64}

// FEW-NOT:     pat.tile
// FEW:         } {pat.loop = "rows"}
// FEW-NOT:     pat.tile

// FOUR:        } {pat.loop = "rows", pat.tile = 4 : i64}

// GPU:      * NDRange 32 */
// GPU:          const ptrdiff_t oh0 = (ptrdiff_t)((uint)get_global_id(0) / 8u % 2u) * 4;
// GPU:          const ptrdiff_t ow = (ptrdiff_t)((uint)get_global_id(0) % 8u);
// GPU:          float acc = v_{{[0-9]+}};
// GPU-NEXT:     float acc_1 = v_{{[0-9]+}};
// GPU-NEXT:     float acc_2 = v_{{[0-9]+}};
// GPU-NEXT:     float acc_3 = v_{{[0-9]+}};
// GPU-NEXT:     for (ptrdiff_t k = {{.*}}; k++) {
// GPU-NEXT:         const int v_{{[0-9]+}} = index[k];
// GPU-COUNT-4:      = weight[k * 4
// GPU-NOT:          index[k]
// GPU:              acc_3 = v_{{[0-9]+}};

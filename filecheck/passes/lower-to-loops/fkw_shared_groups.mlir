// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4}" | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4 shared-groups=false}" | filecheck %s --check-prefix=PER-FILTER
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4 shared-min-items=97}" | filecheck %s --check-prefix=PER-FILTER
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4 shared-min-items=96}" | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4},tile-conv{oc=1 oh=0 ow=1}" | filecheck %s --check-prefix=TILED
//
// A block-pruned FKW layer: 4 filters in FKR groups of 2 (filter_groups = [0, 2]), the two
// filters of a group with the same kernel list (different weights): group 0 keeps
// channel 0 with p0 = [0, 1, 3, 4] and channel 1 with p1 = [4, 5, 7, 8], group 1 channel 1
// with p0. Shared mode: one loop over the groups (step 2), per output vector 2
// accumulators, and per pattern ONE kernel loop carrying both: each loaded input vector
// feeds 2 FMAs, the second filter's weights at k + (offset[j0 + 1] - offset[j0]).
// shared-min-items (the opencl target's): the layer has 4 / 2 groups x 6 x 8 = 96 group
// outputs, so a minimum of 97 lowers it per filter, 96 shared.

builtin.module {
  func.func @layer(%x: tensor<1x2x6x8xf32>) -> tensor<1x4x6x8xf32> {
    %offset = arith.constant dense<[0, 2, 4, 5, 6]> : tensor<5xi32>
    %reorder = arith.constant dense<[0, 1, 2, 3]> : tensor<4xi32>
    %index = arith.constant dense<[0, 1, 0, 1, 1, 1]> : tensor<6xi32>
    %stride = arith.constant dense<[[0, 1, 2], [0, 1, 2], [0, 1, 1], [0, 1, 1]]> : tensor<4x3xi32>
    %weight = arith.constant dense<1.0> : tensor<6x4xf32>
    %y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4], [4, 5, 7, 8]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, filter_groups = array<i64: 0, 2>} : (tensor<1x2x6x8xf32>, tensor<5xi32>, tensor<4xi32>, tensor<6xi32>, tensor<4x3xi32>, tensor<6x4xf32>) -> tensor<1x4x6x8xf32>
    func.return %y : tensor<1x4x6x8xf32>
  }
}

// CHECK:       scf.for %j = {{%[0-9]+}} to {{%[0-9]+}} step [[TWO:%[0-9]+]] {
// CHECK-NEXT:    [[J1:%[0-9]+]] = arith.addi %j, {{%[0-9]+}} : index
// CHECK-NEXT:    [[R0:%[0-9]+]] = memref.load %reorder[%j] : memref<4xi32>
// CHECK-NEXT:    [[O0:%[0-9]+]] = arith.index_cast [[R0]] : i32 to index
// CHECK-NEXT:    [[R1:%[0-9]+]] = memref.load %reorder{{\[}}[[J1]]] : memref<4xi32>
// CHECK-NEXT:    [[O1:%[0-9]+]] = arith.index_cast [[R1]] : i32 to index
// CHECK-NEXT:    [[OFF0:%[0-9]+]] = memref.load %offset[%j] : memref<5xi32>
// CHECK-NEXT:    [[BASE:%[0-9]+]] = arith.index_cast [[OFF0]] : i32 to index
// CHECK-NEXT:    [[OFF1:%[0-9]+]] = memref.load %offset{{\[}}[[J1]]] : memref<5xi32>
// CHECK-NEXT:    [[BASE1:%[0-9]+]] = arith.index_cast [[OFF1]] : i32 to index
// CHECK-NEXT:    [[SHIFT:%[0-9]+]] = arith.subi [[BASE1]], [[BASE]] : index
// CHECK-NOT:     %stride{{\[}}[[J1]]
// CHECK:         scf.for %oh
// CHECK:           scf.for %ow
// One kernel loop per pattern, carrying the 2 filters' accumulators.
// CHECK:             [[A0:%[0-9]+]], [[A1:%[0-9]+]] = scf.for %k = {{.*}} iter_args({{.*}}) -> (vector<4xf32>, vector<4xf32>) {
// CHECK-NEXT:          [[CI:%[0-9]+]] = memref.load %index[%k] : memref<6xi32>
// CHECK-NEXT:          [[C:%[0-9]+]] = arith.index_cast [[CI]] : i32 to index
// CHECK-NEXT:          [[K1:%[0-9]+]] = arith.addi %k, [[SHIFT]] : index
// CHECK-NEXT:          [[W0:%[0-9]+]] = memref.load %weight[%k, {{%[0-9]+}}] : memref<6x4xf32>
// CHECK-NEXT:          [[W1:%[0-9]+]] = memref.load %weight{{\[}}[[K1]], {{%[0-9]+}}] : memref<6x4xf32>
// CHECK-NEXT:          [[V:%[0-9]+]] = vector.load %padded[{{%[0-9]+}}, [[C]], %oh, %ow] : memref<1x2x8x10xf32>, vector<4xf32>
// CHECK-NEXT:          [[B0:%[0-9]+]] = vector.broadcast [[W0]] : f32 to vector<4xf32>
// CHECK-NEXT:          {{%[0-9]+}} = vector.fma [[V]], [[B0]], {{%[0-9]+}} : vector<4xf32>
// CHECK-NEXT:          [[B1:%[0-9]+]] = vector.broadcast [[W1]] : f32 to vector<4xf32>
// CHECK-NEXT:          {{%[0-9]+}} = vector.fma [[V]], [[B1]], {{%[0-9]+}} : vector<4xf32>
// CHECK:               scf.yield {{%[0-9]+}}, {{%[0-9]+}} : vector<4xf32>, vector<4xf32>
// CHECK-NEXT:        } {pat.conv = "conv0", pat.pattern = array<i64: 0, 1, 3, 4>}
// CHECK-NEXT:        [[P0:%[0-9]+]], [[P1:%[0-9]+]] = scf.for %k_1 = {{.*}} iter_args({{%[0-9]+}} = [[A0]], {{%[0-9]+}} = [[A1]])
// CHECK:             } {pat.conv = "conv0", pat.pattern = array<i64: 4, 5, 7, 8>}
// CHECK-NEXT:        vector.store [[P0]], %y[{{%[0-9]+}}, [[O0]], %oh, %ow]
// CHECK-NEXT:        vector.store [[P1]], %y[{{%[0-9]+}}, [[O1]], %oh, %ow]
// CHECK-NEXT:      } {pat.loop = "cols", pat.group = 2 : i64}
// CHECK-NEXT:    } {pat.loop = "rows", pat.group = 2 : i64}
// CHECK-NEXT:  } {pat.loop = "groups", pat.group = 2 : i64, nn.layer = {{.*}}}

// The per-filter nest of the same layer: one filter per iteration, one accumulator.
// PER-FILTER-NOT: pat.group
// PER-FILTER:     scf.for %j = {{%[0-9]+}} to {{%[0-9]+}} step {{%[0-9]+}} {
// PER-FILTER:       {{%[0-9]+}} = scf.for %k = {{.*}} -> (vector<4xf32>) {
// PER-FILTER:     } {pat.loop = "filters", nn.layer = {{.*}}}
// PER-FILTER-NOT: pat.group

// tile-conv's auto rows for a shared group of G = 2: SHARED_ROWS // G = 4 rows (6 rows: one
// tile and a remainder of 2, itself one tile of 2 rows); the groups loop is not tiled.
// TILED:      } {pat.loop = "rows", pat.group = 2 : i64, pat.tile = 4 : i64}
// TILED:      } {pat.loop = "rows", pat.group = 2 : i64, pat.tile = 2 : i64}
// TILED-NEXT: } {pat.loop = "groups", pat.group = 2 : i64, nn.layer = {{.*}}}

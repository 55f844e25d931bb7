// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8},tile-conv{oc=1 oh=1 ow=3},eliminate-load-redundancy,canonicalize-hoisted,cse,prefetch-next-kernel" | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8},tile-conv{oc=1 oh=1 ow=1},eliminate-load-redundancy,canonicalize-hoisted,cse,prefetch-next-kernel" | filecheck %s --check-prefix=TILES
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8},tile-conv{oc=1 oh=1 ow=1},eliminate-load-redundancy,canonicalize-hoisted,cse,prefetch-next-kernel{column-tiles=true distance=2}" | filecheck %s --check-prefix=COLS
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8 shared-groups=false},tile-conv{oc=1 oh=1 ow=1},eliminate-load-redundancy,canonicalize-hoisted,cse,prefetch-next-kernel" | filecheck %s --check-prefix=FILTER
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8},tile-conv{oc=1 oh=1 ow=3},eliminate-load-redundancy,canonicalize-hoisted,cse,prefetch-next-kernel{rules=false}" | filecheck %s --check-prefix=NORULES
//
// A 20-wide layer (padded rows of 22) at 8 lanes, one pattern with taps in rows +0/+1 and
// columns +0/+1, its 2 filters one block-shared group (each loaded vector feeds both: 2
// FMAs per load, the shared nest's loops). With 3 vectors per tile the tile covers the row
// (vectors at columns 0, 8 and 12, the last one clamped), so the kernel loop's columns are
// constants: it loads index[min(k + 1, 3)] (3: the kernel list's last entry, the next
// kernel may be the next run's first) and hints columns 0, 16 and 20 (the span 0..12+1+7)
// of both tap rows of that channel, before its own loads, with the loads' own index values
// where one has the value wanted. In tiles of one vector (TILES) the columns are the
// tile's, which the hardware prefetchers follow: no hints by default; with column-tiles
// (COLS) they are the tile's column (clamped to the row's end: a term of its own) + 0 and +
// 8, two kernels ahead. The per-filter nest (prefix FILTER, one FMA per load) is hinted in
// column tiles by default: the tile's column + 0 and + 8 of both tap rows (oh and oh + 1)
// of the next kernel's channel, before the first load. With rules=false (NORULES) only layers
// whose schedule asks (pf = 1) are hinted: none here.

builtin.module {
  func.func @layer(%x: tensor<1x2x4x20xf32>) -> tensor<1x2x4x20xf32> {
    %offset = arith.constant dense<[0, 2, 4]> : tensor<3xi32>
    %reorder = arith.constant dense<[0, 1]> : tensor<2xi32>
    %index = arith.constant dense<[0, 1, 0, 1]> : tensor<4xi32>
    %stride = arith.constant dense<[[0, 2], [0, 2]]> : tensor<2x2xi32>
    %weight = arith.constant dense<1.0> : tensor<4x4xf32>
    %y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight {patterns = #pat.patterns<[0, 1, 3, 4]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, filter_groups = array<i64: 0>} : (tensor<1x2x4x20xf32>, tensor<3xi32>, tensor<2xi32>, tensor<4xi32>, tensor<2x2xi32>, tensor<4x4xf32>) -> tensor<1x2x4x20xf32>
    func.return %y : tensor<1x2x4x20xf32>
  }
}

// CHECK:      scf.for %k = %{{.*}} to %{{.*}} step
// CHECK-NEXT:   %[[C:.*]] = memref.load %index[%k] : memref<4xi32>
// CHECK-NEXT:   %[[CH:.*]] = arith.index_cast %[[C]] : i32 to index
// CHECK-NEXT:   %[[K1:.*]] = arith.addi %k, %{{.*}} : index
// CHECK-NEXT:   memref.load %weight[%k
// CHECK-NEXT:   memref.load %weight[%[[K1]]
// CHECK-NEXT:   %[[LAST:.*]] = arith.constant 3 : index
// CHECK-NEXT:   %[[AHEAD:.*]] = arith.addi %k, %{{.*}} : index
// CHECK-NEXT:   %[[NEXT:.*]] = arith.minsi %[[AHEAD]], %[[LAST]] : index
// CHECK-NEXT:   %[[NC:.*]] = memref.load %index[%[[NEXT]]] : memref<4xi32>
// CHECK-NEXT:   %[[NCH:.*]] = arith.index_cast %[[NC]] : i32 to index
// CHECK-NEXT:   pat.prefetch %padded[%[[N:.*]], %[[NCH]], %oh, %[[C0:.*]]] : memref<1x2x6x22xf32>
// CHECK-NEXT:   %[[C16:.*]] = arith.constant 16 : index
// CHECK-NEXT:   pat.prefetch %padded[%[[N]], %[[NCH]], %oh, %[[C16]]] : memref<1x2x6x22xf32>
// CHECK-NEXT:   %[[C20:.*]] = arith.constant 20 : index
// CHECK-NEXT:   pat.prefetch %padded[%[[N]], %[[NCH]], %oh, %[[C20]]] : memref<1x2x6x22xf32>
// CHECK-NEXT:   pat.prefetch %padded[%[[N]], %[[NCH]], %[[ROW1:.*]], %[[C0]]] : memref<1x2x6x22xf32>
// CHECK-NEXT:   pat.prefetch %padded[%[[N]], %[[NCH]], %[[ROW1]], %[[C16]]] : memref<1x2x6x22xf32>
// CHECK-NEXT:   pat.prefetch %padded[%[[N]], %[[NCH]], %[[ROW1]], %[[C20]]] : memref<1x2x6x22xf32>
// CHECK-NEXT:   vector.load %padded[%[[N]], %[[CH]], %oh, %{{.*}}] : memref<1x2x6x22xf32>, vector<8xf32>

// TILES-NOT:  pat.prefetch

// COLS:       %[[COL:.*]] = arith.minsi %ow, %{{.*}} : index
// COLS:       scf.for %k
// COLS:       %[[TWO:.*]] = arith.constant 2 : index
// COLS:       arith.addi %k, %[[TWO]] : index
// COLS:       %[[NCH:.*]] = arith.index_cast
// COLS-NEXT:  pat.prefetch %padded[%{{.*}}, %[[NCH]], %oh, %[[COL]]] : memref<1x2x6x22xf32>
// COLS-NEXT:  %[[C8:.*]] = arith.constant 8 : index
// COLS-NEXT:  %[[END:.*]] = arith.addi %[[COL]], %[[C8]] : index
// COLS-NEXT:  pat.prefetch %padded[%{{.*}}, %[[NCH]], %oh, %[[END]]] : memref<1x2x6x22xf32>

// FILTER:      %[[COL:.*]] = arith.minsi %ow, %{{.*}} : index
// FILTER:      scf.for %k
// FILTER:      arith.minsi
// FILTER:      %[[NCH:.*]] = arith.index_cast
// FILTER-NEXT: pat.prefetch %padded[%{{.*}}, %[[NCH]], %oh, %[[COL]]] : memref<1x2x6x22xf32>
// FILTER-NEXT: %[[C8:.*]] = arith.constant 8 : index
// FILTER-NEXT: %[[END:.*]] = arith.addi %[[COL]], %[[C8]] : index
// FILTER-NEXT: pat.prefetch %padded[%{{.*}}, %[[NCH]], %oh, %[[END]]] : memref<1x2x6x22xf32>
// FILTER-NEXT: pat.prefetch %padded[%{{.*}}, %[[NCH]], %[[ROW1:.*]], %[[COL]]] : memref<1x2x6x22xf32>
// FILTER-NEXT: pat.prefetch %padded[%{{.*}}, %[[NCH]], %[[ROW1]], %[[END]]] : memref<1x2x6x22xf32>
// FILTER-NEXT: vector.load %padded

// NORULES-NOT: pat.prefetch

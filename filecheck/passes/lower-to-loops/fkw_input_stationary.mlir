// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8 input-stationary=1}" | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8 input-stationary=2}" | filecheck %s --check-prefix=PER-FILTER
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=8 input-stationary=1 input-stationary-bytes=100}" | filecheck %s --check-prefix=BOUND
//
// fkw_conv.mlir's layer (2 filters x 2 channels, patterns p0 = [0, 1, 3, 4] and
// p1 = [4, 5, 7, 8]; filter 0: channel 0 p0, channel 1 p1; filter 1: channel 1 p0) run
// input-stationary: its 3 kernels in (channel, pattern, filter) order are (c0 p0 o0),
// (c1 p0 o1), (c1 p1 o0), so is_filter = [0, 1, 0], is_weight the FKW rows 0, 2, 1, and
// is_start[c*2 + p] = [0, 1, 1, 2, 3]. 8 output rows run as 2 blocks of 4 (tile_rows: an
// even block count), each block's tiles in its own slot ohb / 4. Per block (one vector of
// 8: the row): every filter's tile starts at its bias; per channel and pattern the 4 taps
// x 4 rows of input are loaded once, then each kernel of the pair loads its filter's tile,
// adds its 4 FMAs per row and stores it back; at the end relu and the store into y.
// 3 kernels over 3 used pairs: 1 a pair, so input-stationary=2 keeps the per-filter nest.
// A channel feeds 1.5 filters on average (48 bytes of tiles a row at 8 lanes): within 100
// bytes, 2 rows a tile, so 4 blocks of 2.

builtin.module {
  func.func @layer(%x: tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32> {
    %offset = arith.constant dense<[0, 2, 3]> : tensor<3xi32>
    %reorder = arith.constant dense<[0, 1]> : tensor<2xi32>
    %index = arith.constant dense<[0, 1, 1]> : tensor<3xi32>
    %stride = arith.constant dense<[[0, 1, 2], [0, 1, 1]]> : tensor<2x3xi32>
    %weight = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0]]> : tensor<3x4xf32>
    %bias = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
    %y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight, %bias {patterns = #pat.patterns<[0, 1, 3, 4], [4, 5, 7, 8]>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, activation = "relu"} : (tensor<1x2x8x8xf32>, tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<2x3xi32>, tensor<3x4xf32>, tensor<2xf32>) -> tensor<1x2x8x8xf32>
    func.return %y : tensor<1x2x8x8xf32>
  }
}

// CHECK-DAG:   "memref.global"() <{sym_name = "is_filter", type = memref<3xi32>, initial_value = dense<[0, 1, 0]> : tensor<3xi32>
// CHECK-DAG:   "memref.global"() <{sym_name = "is_weight", type = memref<3x4xf32>, initial_value = dense<{{\[}}[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00], [9.000000e+00, 1.000000e+01, 1.100000e+01, 1.200000e+01], [5.000000e+00, 6.000000e+00, 7.000000e+00, 8.000000e+00]]>
// CHECK-DAG:   "memref.global"() <{sym_name = "is_start", type = memref<5xi32>, initial_value = dense<[0, 1, 1, 2, 3]> : tensor<5xi32>
// CHECK:       %is_tile = memref.alloc() : memref<2x2x4x8xf32>
// CHECK-NEXT:  scf.for %ohb = %{{.*}} to %{{.*}} step %[[FOUR:.*]] {
// CHECK-NEXT:    %[[S:.*]] = arith.divsi %ohb, %[[FOUR]] : index
// CHECK-NEXT:    scf.for %o = %{{.*}} to %[[TWO:.*]] step %{{.*}} {
// CHECK-NEXT:      %[[B:.*]] = memref.load %bias[%o] : memref<2xf32>
// CHECK-NEXT:      %[[BV:.*]] = vector.broadcast %[[B]] : f32 to vector<8xf32>
// CHECK-COUNT-4:   vector.store %[[BV]], %is_tile[%[[S]], %o, %{{.*}}, %{{.*}}]
// CHECK-NEXT:    }
// CHECK-NEXT:    scf.for %c_1 = %{{.*}} to %[[TWO]] step %{{.*}} {
// CHECK-COUNT-2: memref.load %is_start
// CHECK-COUNT-16: vector.load %padded[%{{.*}}, %c_1, %{{.*}}, %{{.*}}] : memref<1x2x10x10xf32>, vector<8xf32>
// CHECK:           scf.for %k = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT:        %[[F:.*]] = memref.load %is_filter[%k] : memref<3xi32>
// CHECK-NEXT:        %[[O:.*]] = arith.index_cast %[[F]] : i32 to index
// CHECK-COUNT-4:     memref.load %is_weight[%k, %{{.*}}] : memref<3x4xf32>
// CHECK:             %[[T:.*]] = vector.load %is_tile[%[[S]], %[[O]], %{{.*}}, %{{.*}}]
// CHECK-NEXT:        %[[A0:.*]] = vector.fma %{{.*}}, %{{.*}}, %[[T]] : vector<8xf32>
// CHECK-NEXT:        %[[A1:.*]] = vector.fma %{{.*}}, %{{.*}}, %[[A0]] : vector<8xf32>
// CHECK-NEXT:        %[[A2:.*]] = vector.fma %{{.*}}, %{{.*}}, %[[A1]] : vector<8xf32>
// CHECK-NEXT:        %[[A3:.*]] = vector.fma %{{.*}}, %{{.*}}, %[[A2]] : vector<8xf32>
// CHECK-NEXT:        vector.store %[[A3]], %is_tile[%[[S]], %[[O]], %{{.*}}, %{{.*}}]
// CHECK:           scf.for %k_1 =
// CHECK:         scf.for %o_1 = %{{.*}} to %[[TWO]] step %{{.*}} {
// CHECK-NEXT:      %[[R0:.*]] = vector.load %is_tile[%[[S]], %o_1, %{{.*}}, %{{.*}}]
// CHECK-NEXT:      %[[Y0:.*]] = arith.maximumf %[[R0]], %{{.*}} : vector<8xf32>
// CHECK-NEXT:      vector.store %[[Y0]], %y[%{{.*}}, %o_1, %ohb, %{{.*}}] : memref<1x2x8x8xf32>, vector<8xf32>

// PER-FILTER-NOT: is_tile
// PER-FILTER:     scf.for %j =
// PER-FILTER-NOT: is_tile

// BOUND:      %is_tile = memref.alloc() : memref<4x2x2x8xf32>
// BOUND-NEXT: scf.for %ohb = %{{.*}} to %{{.*}} step %[[TWO:.*]] {
// BOUND-NEXT:   arith.divsi %ohb, %[[TWO]] : index

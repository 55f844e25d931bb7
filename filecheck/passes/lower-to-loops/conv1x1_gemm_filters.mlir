// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4 gemm-filters=8}" | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4}" | filecheck %s --check-prefix=DEFAULT
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4 gemm-filters=8}" | xdsl-opt | filecheck %s

// gemm-filters: the 1x1 GEMM's filters per register tile where its packed panel outgrows
// the L1 budget (patcc/lowering/pointwise.py, PANEL_L1_BYTES = 32 KB). 700 channels x 12
// pixels (one panel of 3 vectors of 4: 700 x 12 floats, 33.6 KB): with gemm-filters=8 the
// 8 filters are one tile of 8 x 3 accumulators, each panel vector feeding 8 FMAs; by
// default two tiles of 4 x 3.

builtin.module {
  func.func @layer(%x: tensor<1x700x2x6xf32>) -> tensor<1x8x2x6xf32> {
    %w = arith.constant dense<0.5> : tensor<8x700x1x1xf32>
    %y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x700x2x6xf32>, tensor<8x700x1x1xf32>) -> tensor<1x8x2x6xf32>
    func.return %y : tensor<1x8x2x6xf32>
  }
}

// CHECK:       %panel = memref.alloc() : memref<1x700x12xf32>
// CHECK:       scf.for %c{{.*}} -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>) {
// CHECK-COUNT-3: vector.load
// CHECK-COUNT-24: vector.fma
// CHECK:       }
// CHECK-NOT:   vector.fma

// DEFAULT:     scf.for %o = {{.*}} step %{{[0-9]+}} {
// DEFAULT:       scf.for %c{{.*}} -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>) {
// DEFAULT-COUNT-12: vector.fma

// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4},parallelize{threads=3}" | filecheck %s

// In the conv layer, the outermost loop of each nest whose iterations write disjoint memory
// is parallel: the padding fill (i), the padded copy's rows (its channel loop c has 2 trips,
// fewer than MIN_PARALLEL_TRIPS, and one parallel loop of 4 rows inside) and the output-row
// loop (oh: the 4 filters are one register tile of the dense conv, so there is no filter loop);
// the max-pool layer's channel loop (its iterations write disjoint planes). threads=3 goes on
// the module.

builtin.module {
  func.func @layer(%x: tensor<1x2x4x8xf32> {nn.name = "input"}) -> (tensor<1x4x2x4xf32> {nn.name = "output"}) {
    %w = arith.constant dense<0.5> : tensor<4x2x3x3xf32>
    %y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x4x8xf32>
    %p = nn.max_pool %y {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x4x4x8xf32>) -> tensor<1x4x2x4xf32>
    func.return %p : tensor<1x4x2x4xf32>
  }
}

// CHECK:      builtin.module attributes {patcc.threads = 3 : i64} {
// CHECK:        scf.for %i = {{.*}} {
// CHECK:        } {nn.layer = "y: nn conv2d 1x2x4x8 -> 1x4x4x8", patcc.parallel}
// CHECK:        scf.for %c = {{.*}} {
// CHECK-NEXT:     scf.for %y{{.*}} {
// CHECK:          } {patcc.parallel}
// CHECK-NEXT:   } {nn.layer = "y: nn conv2d 1x2x4x8 -> 1x4x4x8"}
// CHECK:        scf.for %oh = {{.*}} {
// CHECK:        } {nn.layer = "y: nn conv2d 1x2x4x8 -> 1x4x4x8", patcc.parallel}
// CHECK:        scf.for %c_2 = {{.*}} {
// CHECK:        } {nn.layer = "p: nn max_pool 1x4x4x8 -> 1x4x2x4", patcc.parallel}

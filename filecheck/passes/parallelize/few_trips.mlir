// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4},parallelize{threads=2}" | filecheck %s

// 8 filters in register tiles of 4: the outermost disjoint loop of the conv (o) has 2 trips,
// which would leave threads idle (MIN_PARALLEL_TRIPS); its body is index arithmetic and one
// parallel loop of 4 output rows, so that loop is marked instead (a region per filter tile).

builtin.module {
  func.func @layer(%x: tensor<1x2x4x8xf32> {nn.name = "input"}) -> (tensor<1x8x4x8xf32> {nn.name = "output"}) {
    %w = arith.constant dense<0.5> : tensor<8x2x3x3xf32>
    %y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x8xf32>, tensor<8x2x3x3xf32>) -> tensor<1x8x4x8xf32>
    func.return %y : tensor<1x8x4x8xf32>
  }
}

// CHECK:        scf.for %o = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NOT:    patcc.parallel
// CHECK:          scf.for %oh = {{.*}} {
// CHECK:            vector.store
// CHECK:          } {patcc.parallel}
// CHECK-NEXT:   } {nn.layer = "y: nn conv2d 1x2x4x8 -> 1x8x4x8"}

// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4}" | filecheck %s

// A gemv that skips zero inputs, 3 inputs -> 16 outputs in 4 blocks of 4, read 2 blocks
// in lockstep: the loop over the blocks steps by 2 (the threads split it); in a group,
// the accumulators of both blocks are zeroed, then each non-zero input adds its run of
// weights to block b and then to block b + 1 (the loop over s), so the core reads two
// weight streams at once and every output's sum keeps the order of one stream.

builtin.module {
  func.func @f(%x: tensor<1x3xf32> {nn.name = "input"}) -> (tensor<1x16xf32> {nn.name = "output"}) {
    %w = arith.constant dense<0.5> : tensor<4x3x4xf32>
    %g = nn.gemv_skip_zeros %x, %w {beta = 1.0 : f32, n = 16 : i64, group = 1 : i64, streams = 2 : i64} : (tensor<1x3xf32>, tensor<4x3x4xf32>) -> tensor<1x16xf32>
    func.return %g : tensor<1x16xf32>
  }
}

// CHECK:      %acc = memref.alloc() : memref<4x4xf32>
// CHECK-NEXT: scf.for %[[B:.*]] = %{{.*}} to %[[FOUR:.*]] step %[[TWO:.*]] {
// CHECK-NEXT:   scf.for %[[S:.*]] = %{{.*}} to %[[TWO]] step %{{.*}} {
// CHECK-NEXT:     %[[BS:.*]] = arith.addi %[[B]], %[[S]] : index
// CHECK-NEXT:     vector.store %{{.*}}, %acc[%[[BS]], %{{.*}}] : memref<4x4xf32>, vector<4xf32>
// CHECK-NEXT:   }
// CHECK-NEXT:   scf.for %[[K:.*]] = {{.*}} {
// CHECK-NEXT:     %[[XK:.*]] = memref.load %x[%{{.*}}, %[[K]]] : memref<1x3xf32>
// CHECK-NEXT:     %[[NZ:.*]] = arith.cmpf une, %[[XK]], %{{.*}} : f32
// CHECK-NEXT:     scf.if %[[NZ]] {
// CHECK-NEXT:       %[[XR:.*]] = memref.load %x[%{{.*}}, %[[K]]]
// CHECK-NEXT:       %[[XV:.*]] = vector.broadcast %[[XR]] : f32 to vector<4xf32>
// CHECK-NEXT:       scf.for %[[S1:.*]] = %{{.*}} to %[[TWO]] step %{{.*}} {
// CHECK-NEXT:         %[[BS1:.*]] = arith.addi %[[B]], %[[S1]] : index
// CHECK-NEXT:         %[[WV:.*]] = vector.load %w[%[[BS1]], %[[K]], %{{.*}}] : memref<4x3x4xf32>, vector<4xf32>
// CHECK-NEXT:         %[[AV:.*]] = vector.load %acc[%[[BS1]], %{{.*}}]
// CHECK-NEXT:         %[[SUM:.*]] = vector.fma %[[XV]], %[[WV]], %[[AV]] : vector<4xf32>
// CHECK-NEXT:         vector.store %[[SUM]], %acc[%[[BS1]], %{{.*}}]
// CHECK:      } {nn.layer = "g: nn gemv_skip_zeros 1x3 -> 1x16"}

// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4}" | filecheck %s
// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=4}" | xdsl-opt | filecheck %s

// A gemv that skips zero inputs, 3 inputs -> 12 outputs in 2 blocks of 8 (the last 4
// columns padding), inputs tested 2 at a time. Per block: its 8 accumulators zeroed, then
// inputs 0-1 (one group: both compared with 0, `une` so that a NaN is not skipped) and
// input 2 (the tail group), each group's runs of weights added in vectors of 4 only when
// one of its inputs is not zero. Then the bias and the fused relu, output by output, from
// the flat view of the accumulators.

builtin.module {
  func.func @f(%x: tensor<1x3xf32> {nn.name = "input"}) -> (tensor<1x12xf32> {nn.name = "output"}) {
    %w = arith.constant dense<0.5> : tensor<2x3x8xf32>
    %b = arith.constant dense<0.25> : tensor<12xf32>
    %g = nn.gemv_skip_zeros %x, %w, %b {beta = 1.0 : f32, n = 12 : i64, group = 2 : i64} : (tensor<1x3xf32>, tensor<2x3x8xf32>, tensor<12xf32>) -> tensor<1x12xf32>
    %y = nn.relu %g : (tensor<1x12xf32>) -> tensor<1x12xf32>
    func.return %y : tensor<1x12xf32>
  }
}

// CHECK:      %acc = memref.alloc() : memref<2x8xf32>
// CHECK-NEXT: scf.for %[[B:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT:   scf.for %[[J:.*]] = {{.*}} {
// CHECK-NEXT:     vector.store %{{.*}}, %acc[%[[B]], %[[J]]] : memref<2x8xf32>, vector<4xf32>
// CHECK:        %[[X0:.*]] = memref.load %x[%{{.*}}, %{{.*}}] : memref<1x3xf32>
// CHECK-NEXT:   %[[NZ0:.*]] = arith.cmpf une, %[[X0]], %{{.*}} : f32
// CHECK-NEXT:   %[[X1:.*]] = memref.load %x
// CHECK-NEXT:   %[[NZ1:.*]] = arith.cmpf une, %[[X1]]
// CHECK-NEXT:   %[[ANY:.*]] = arith.ori %[[NZ0]], %[[NZ1]] : i1
// CHECK-NEXT:   scf.if %[[ANY]] {
// CHECK-NEXT:     scf.for %[[R:.*]] = {{.*}} {
// CHECK-NEXT:       %[[XR:.*]] = memref.load %x[%{{.*}}, %[[R]]]
// CHECK-NEXT:       %[[XV:.*]] = vector.broadcast %[[XR]] : f32 to vector<4xf32>
// CHECK-NEXT:       scf.for %[[J1:.*]] = {{.*}} {
// CHECK-NEXT:         %[[WV:.*]] = vector.load %w[%[[B]], %[[R]], %[[J1]]] : memref<2x3x8xf32>, vector<4xf32>
// CHECK-NEXT:         %[[AV:.*]] = vector.load %acc[%[[B]], %[[J1]]]
// CHECK-NEXT:         %[[SUM:.*]] = vector.fma %[[XV]], %[[WV]], %[[AV]] : vector<4xf32>
// CHECK-NEXT:         vector.store %[[SUM]], %acc[%[[B]], %[[J1]]]
// CHECK:        %[[X2:.*]] = memref.load %x
// CHECK-NEXT:   %[[NZ2:.*]] = arith.cmpf une, %[[X2]]
// CHECK-NEXT:   scf.if %[[NZ2]] {
// CHECK:          vector.fma
// CHECK:      } {nn.layer = "g: nn gemv_skip_zeros 1x3 -> 1x12 + relu"}
// CHECK-NEXT: %[[FLAT:.*]] = memref.collapse_shape %acc {{.*}} : memref<2x8xf32> into memref<16xf32>
// CHECK-NEXT: scf.for %[[N:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT:   %[[T:.*]] = memref.load %[[FLAT]][%[[N]]] : memref<16xf32>
// CHECK-NEXT:   %[[C:.*]] = memref.load %b[%[[N]]] : memref<12xf32>
// CHECK-NEXT:   %[[TC:.*]] = arith.addf %[[T]], %[[C]] : f32
// CHECK-NEXT:   %[[RELU:.*]] = arith.maximumf %[[TC]], %{{.*}} : f32
// CHECK-NEXT:   memref.store %[[RELU]], %y[%{{.*}}, %[[N]]] : memref<1x12xf32>

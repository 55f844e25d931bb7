// RUN: xdsl-opt %s -p "parallelize{threads=2}" | filecheck %s

// A row-block loop (step 4) whose scratch is indexed by the block's slot, ohb / 4 (the
// input-stationary tiles): each iteration has its own slot, so the loop is parallel (its
// prefetch hint reads and writes nothing). Divided by more than the step (ohb / 8), two
// iterations share a slot: not parallel.

builtin.module {
  func.func @layer(%tile: memref<8x4xf32>, %half: memref<4x4xf32>) {
    %c0 = arith.constant 0 : index
    %c4 = arith.constant 4 : index
    %c8 = arith.constant 8 : index
    %c32 = arith.constant 32 : index
    %v = arith.constant 1.000000e+00 : f32
    scf.for %ohb = %c0 to %c32 step %c4 {
      %slot = arith.divsi %ohb, %c4 : index
      pat.prefetch %tile[%slot, %c0] : memref<8x4xf32>
      memref.store %v, %tile[%slot, %c0] : memref<8x4xf32>
    } {nn.layer = "y: nn conv2d 1x1x32x4 -> 1x1x32x4"}
    scf.for %ohb2 = %c0 to %c32 step %c4 {
      %shared = arith.divsi %ohb2, %c8 : index
      memref.store %v, %half[%shared, %c0] : memref<4x4xf32>
    } {nn.layer = "z: nn conv2d 1x1x32x4 -> 1x1x32x4"}
    func.return
  }
}

// CHECK:      scf.for %ohb = {{.*}} {
// CHECK-NEXT:   %slot = arith.divsi %ohb, %c4 : index
// CHECK:      } {nn.layer = "y: nn conv2d 1x1x32x4 -> 1x1x32x4", patcc.parallel}
// CHECK:      scf.for %ohb2 = {{.*}} {
// CHECK:      } {nn.layer = "z: nn conv2d 1x1x32x4 -> 1x1x32x4"}

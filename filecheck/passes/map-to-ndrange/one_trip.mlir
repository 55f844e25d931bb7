// RUN: xdsl-opt %s -p "map-to-ndrange" | filecheck %s
//
// A loop of one trip (tile-conv's single full tile: its body indexes by constants, so the
// parallelize analysis cannot show its iterations disjoint) has no other iteration to
// depend on: it is the band, an NDRange of one. The loop of four trips after it, whose
// stores all go to one element, is not parallel and stays unmarked.

builtin.module {
  func.func @f(%y: memref<4xf32>, %idx: memref<1xindex>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %v = arith.constant 1.000000e+00 : f32
    scf.for %i = %c0 to %c1 step %c1 {
      %j = memref.load %idx[%c0] : memref<1xindex>
      memref.store %v, %y[%j] : memref<4xf32>
    }
    scf.for %k = %c0 to %c4 step %c1 {
      memref.store %v, %y[%c0] : memref<4xf32>
    }
    func.return
  }
}

// CHECK:      scf.for %i = %c0 to %c1 step %c1 {
// CHECK:      } {ocl.global_dim = 0 : i64}
// CHECK:      scf.for %k = %c0 to %c4 step %c1 {
// CHECK-NEXT:   memref.store
// CHECK-NEXT: }
// CHECK-NOT:  ocl.global_dim

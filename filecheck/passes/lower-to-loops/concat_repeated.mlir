// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=1}" | filecheck %s

// A concat whose input repeats back to back (dense-conv-as-patterns concatenates a conv's
// input with itself): one nest over the run (x twice: channels 3 to 6), reading x at the
// channel modulo its 2 channels; one store per element, so the nest stays parallel. On a
// GPU, one kernel for the run instead of one per operand. x alone (channels 0-1) and z
// (channel 2) keep a nest each.

builtin.module {
  func.func @repeat(%x: tensor<1x2x3xf32>, %z: tensor<1x1x3xf32>) -> tensor<1x7x3xf32> {
    %c = nn.concat %x, %z, %x, %x {axis = 1 : i64} : (tensor<1x2x3xf32>, tensor<1x1x3xf32>, tensor<1x2x3xf32>, tensor<1x2x3xf32>) -> tensor<1x7x3xf32>
    func.return %c : tensor<1x7x3xf32>
  }
}

// CHECK-DAG:  %[[ZERO:.*]] = arith.constant 0 : index
// CHECK-DAG:  %[[TWO:.*]] = arith.constant 2 : index
// CHECK-DAG:  %[[THREE:.*]] = arith.constant 3 : index
// CHECK-DAG:  %[[FOUR:.*]] = arith.constant 4 : index
// CHECK:      memref.load %x[%[[ZERO]], %{{.*}}, %{{.*}}] : memref<1x2x3xf32>
// CHECK:      memref.load %z
// CHECK:      scf.for %[[C:.*]] = %[[ZERO]] to %[[FOUR]] step %{{.*}} {
// CHECK-NEXT:   scf.for %[[W:.*]] = %[[ZERO]] to %[[THREE]] step %{{.*}} {
// CHECK-NEXT:     %[[AT:.*]] = arith.addi %[[C]], %[[THREE]] : index
// CHECK-NEXT:     %[[IN:.*]] = arith.remsi %[[C]], %[[TWO]] : index
// CHECK-NEXT:     %[[V:.*]] = memref.load %x[%[[ZERO]], %[[IN]], %[[W]]] : memref<1x2x3xf32>
// CHECK-NEXT:     memref.store %[[V]], %c[%[[ZERO]], %[[AT]], %[[W]]] : memref<1x7x3xf32>
// CHECK-NEXT:   }
// CHECK-NEXT: } {nn.layer = "c: nn concat 1x2x3 -> 1x7x3"}
// CHECK-NOT:  memref.load

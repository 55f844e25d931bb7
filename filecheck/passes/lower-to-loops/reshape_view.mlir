// RUN: xdsl-opt %s -p "lower-to-loops{vector-length=1}" | filecheck %s

// A reshape of a contiguous buffer is a view of it: collapse to 1-D, expand to the new
// shape, unlabelled (no layer of its own: the relu after it reads the view, and a target
// re-declares it there). A reshape whose result is returned still copies into the
// out-parameter, as a layer.

builtin.module {
  func.func @flatten(%x: tensor<1x2x3x4xf32>) -> (tensor<2x12xf32>, tensor<1x24xf32>) {
    %r = nn.relu %x : (tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32>
    %v = nn.reshape %r {shape = array<i64: 2, 12>} : (tensor<1x2x3x4xf32>) -> tensor<2x12xf32>
    %s = nn.relu %v : (tensor<2x12xf32>) -> tensor<2x12xf32>
    %o = nn.reshape %r {shape = array<i64: 1, 24>} : (tensor<1x2x3x4xf32>) -> tensor<1x24xf32>
    func.return %s, %o : tensor<2x12xf32>, tensor<1x24xf32>
  }
}

// CHECK:      %r = memref.alloc() : memref<1x2x3x4xf32>
// CHECK:      } {nn.layer = "r: nn relu 1x2x3x4 -> 1x2x3x4"}
// CHECK-NEXT: %[[FLAT:.*]] = memref.collapse_shape %r {{\[\[}}0 : i64, 1 : i64, 2 : i64, 3 : i64]] : memref<1x2x3x4xf32> into memref<24xf32>
// CHECK-NEXT: %v = memref.expand_shape %[[FLAT]] {{\[\[}}0 : i64, 1 : i64]] output_shape [2, 12] : memref<24xf32> into memref<2x12xf32>
// CHECK-NEXT: scf.for
// CHECK-NEXT:   scf.for
// CHECK-NEXT:     memref.load %v[%{{.*}}, %{{.*}}] : memref<2x12xf32>
// CHECK-NOT:  memref.alloc
// CHECK:      } {nn.layer = "s: nn relu 2x12 -> 2x12"}
// CHECK-NOT:  memref.alloc
// CHECK:      "memref.copy"(%{{.*}}, %o) {nn.layer = "o: nn reshape 1x2x3x4 -> 1x24"}
